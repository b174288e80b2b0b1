import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { compileTransferCircuit, DEFAULT_DEPTH, type CompiledCircuit } from '../build/compile.ts';
import { sha256File, sha256Hex } from '../build/hash.ts';
import { cacheDir } from './cache-dir.ts';
import { withFileLock } from './file-lock.ts';
import { ensurePtau, PtauError } from './ptau.ts';
import { silentProgress, timedStep, type Progress } from './progress.ts';
import { releaseSnarkjs } from '../snarkjs-runtime.ts';

const require = createRequire(import.meta.url);

/** What a build of the transfer circuit produced, with content hashes (the artifact manifest). */
export interface ArtifactManifest {
  circuit: 'transfer';
  depth: number;
  constraints: number;
  publicInputs: number;
  /** log2 of the powers-of-tau size used. */
  power: number;
  circuitHash: string;
  /** sha256 of the proving key: the artifact hash that jobs name. */
  zkeyHash: string;
  wasmHash: string;
  vkeyHash: string;
  ptau: { kind: 'dev' | 'external'; sha256: string };
  createdAt: string;
}

/** Paths of a ready set of transfer-circuit artifacts. */
export interface Artifacts {
  manifest: ArtifactManifest;
  dir: string;
  r1cs: string;
  wasm: string;
  zkey: string;
  vkey: string;
  solidityVerifier: string;
}

export interface SetupOptions {
  depth?: number;
  /** External phase-2-ready powers-of-tau file; defaults to DREX_PTAU, else the dev ceremony. */
  ptau?: string;
  progress?: Progress;
}

/** Constraint and signal counts of a compiled circuit, remembered beside it (snarkjs builds a curve to read them). */
async function r1csInfo(r1cs: string): Promise<{ nConstraints: number; nPubInputs: number; nOutputs: number }> {
  const cached = `${r1cs}.info.json`;
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as { nConstraints: number; nPubInputs: number; nOutputs: number };
  const i = await snarkjs.r1cs.info(r1cs);
  const info = { nConstraints: i.nConstraints, nPubInputs: i.nPubInputs, nOutputs: i.nOutputs };
  writeFileSync(cached, JSON.stringify(info));
  await releaseSnarkjs();
  return info;
}

/** The smallest power of two that holds the circuit's constraints plus its public inputs. */
export function requiredPower(constraints: number, publicInputs: number): number {
  return Math.max(8, Math.ceil(Math.log2(constraints + publicInputs + 1)));
}

function artifactPaths(dir: string, circuit: CompiledCircuit): Omit<Artifacts, 'manifest'> {
  return {
    dir,
    r1cs: circuit.r1cs,
    wasm: circuit.wasm,
    zkey: join(dir, 'transfer.zkey'),
    vkey: join(dir, 'verification_key.json'),
    solidityVerifier: join(dir, 'TransferVerifier.sol'),
  };
}

/**
 * Makes sure the transfer circuit is compiled and has a Groth16 proving key, verification key and
 * Solidity verifier, running whatever is missing: compile, powers of tau (dev ceremony unless an
 * external file is given), phase 2 and export. Everything is cached under `~/.cache/drex-swarm`, keyed
 * by the content hash of the circuit and the powers of tau, so a warm machine returns at once.
 *
 * The dev ceremony has a single local contributor: it is NOT a production trusted setup.
 */
export async function ensureArtifacts(opts: SetupOptions = {}): Promise<Artifacts> {
  const progress = opts.progress ?? silentProgress();
  const depth = opts.depth ?? DEFAULT_DEPTH;
  const circuit = await compileTransferCircuit(depth, progress);
  const info = await r1csInfo(circuit.r1cs);
  const power = requiredPower(info.nConstraints, info.nPubInputs + info.nOutputs);
  const ptau = await ensurePtau(power, progress, opts.ptau ?? process.env.DREX_PTAU);
  const ptauHash = await sha256File(ptau.path);
  const key = sha256Hex(`${circuit.hash}:${ptauHash}`).slice(0, 16);
  const dir = join(cacheDir('artifacts'), `transfer-d${depth}-${key}`);
  const paths = artifactPaths(dir, circuit);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    await withFileLock(`${dir}.lock`, async () => {
      if (existsSync(manifestPath)) return;
      const tmp = `${dir}.${process.pid}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      try {
        await buildArtifactsInto(tmp);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      }
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    });
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ArtifactManifest;
  return { manifest, ...paths };

  /** Groth16 setup, the dev phase-2 contribution and the exports, written into `tmp`. */
  async function buildArtifactsInto(tmp: string): Promise<void> {
    const z0 = join(tmp, 'transfer_0.zkey');
    const zkey = join(tmp, 'transfer.zkey');
    try {
      await timedStep(progress, `groth16 setup (${info.nConstraints} constraints, 2^${power} powers of tau)`, () =>
        snarkjs.zKey.newZKey(circuit.r1cs, ptau.path, z0, progress.logger),
      );
    } catch (err) {
      if (ptau.kind === 'external') {
        throw new PtauError(`groth16 setup with ${ptau.path} failed (it must be phase-2-ready and of power >= ${power}): ${(err as Error).message}`);
      }
      throw err;
    }
    await timedStep(progress, 'phase 2: local contribution', () =>
      snarkjs.zKey.contribute(z0, zkey, 'drex-swarm dev', randomBytes(32).toString('hex'), progress.logger),
    );
    rmSync(z0);
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey, progress.logger);
    writeFileSync(join(tmp, 'verification_key.json'), JSON.stringify(vkey, null, 1));
    const template = readFileSync(join(dirname(dirname(require.resolve('snarkjs'))), 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
    const sol = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template }, progress.logger);
    writeFileSync(join(tmp, 'TransferVerifier.sol'), sol);
    const manifest: ArtifactManifest = {
      circuit: 'transfer',
      depth,
      constraints: info.nConstraints,
      publicInputs: info.nPubInputs + info.nOutputs,
      power,
      circuitHash: circuit.hash,
      zkeyHash: await sha256File(zkey),
      wasmHash: await sha256File(circuit.wasm),
      vkeyHash: await sha256File(join(tmp, 'verification_key.json')),
      ptau: { kind: ptau.kind, sha256: ptauHash },
      createdAt: new Date().toISOString(),
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
}
