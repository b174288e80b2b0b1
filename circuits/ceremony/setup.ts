import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { compileCircuit, DEFAULT_CIRCUIT, specName, type CircuitSpec, type CompiledCircuit } from '../build/compile.ts';
import { sha256File, sha256Hex } from '../build/hash.ts';
import { cacheDir } from './cache-dir.ts';
import { devSetup, domainPower } from './dev-setup.ts';
import { withFileLock } from './file-lock.ts';
import { openExternalPtau, PtauError, type ExternalPtau } from './ptau.ts';
import { silentProgress, timedStep, type Progress } from './progress.ts';
import { readR1csHeader } from './r1cs-file.ts';
import { releaseSnarkjs } from '../snarkjs-runtime.ts';

const require = createRequire(import.meta.url);

/** Bumped when the dev setup's output changes, so cached keys from an older one are not reused. */
const DEV_SETUP_VERSION = 'dev-single-party-v1';
/** Name of the powers of tau a dev setup writes beside its keys when asked to. */
const DEV_PTAU_FILE = 'powers_of_tau.ptau';

/**
 * How the keys were made. `dev-single-party`: one process drew every secret (development only);
 * `ptau-phase2`: snarkjs's phase 2 over an operator-supplied powers of tau, plus one local contribution.
 */
export type SetupMethod =
  /** `ptau`: the file name, beside the keys, of the powers of tau the dev secrets define (when asked for). */
  | { method: 'dev-single-party'; trusted: false; ptau?: string }
  | { method: 'ptau-phase2'; trusted: false; ptauSha256: string; ptauPower: number };

/** What a build of the transfer circuit produced, with content hashes (the artifact manifest). */
export interface ArtifactManifest {
  circuit: CircuitSpec['circuit'];
  /** Transfers per proof. */
  k: number;
  /** The note tree's and the nullifier set's depths. */
  depth: number;
  nullDepth: number;
  constraints: number;
  publicInputs: number;
  /** log2 of the evaluation domain (snarkjs's domainSize). */
  power: number;
  circuitHash: string;
  /** sha256 of the proving key: the artifact hash that jobs name. */
  zkeyHash: string;
  wasmHash: string;
  vkeyHash: string;
  setup: SetupMethod;
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
  /** Which circuit; DEFAULT_CIRCUIT (DREX_CIRCUIT, else k = 1 with depths 20 and 21) by default. */
  circuit?: CircuitSpec;
  /** Phase-2-ready powers-of-tau file of a public ceremony; defaults to DREX_PTAU, else the dev setup. */
  ptau?: string;
  /**
   * Dev setup only: also write the powers of tau its secrets define beside the keys, so that `snarkjs
   * zkey verify` can check the key against the circuit. A separate cached key set; defaults to
   * `DREX_DEV_PTAU=1`.
   */
  devPtau?: boolean;
  progress?: Progress;
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
 * Solidity verifier, building whatever is missing. Without a powers-of-tau file the keys come from the
 * single-party dev setup (seconds; NOT a trusted setup); with one (`ptau` or `DREX_PTAU`) from snarkjs's
 * phase 2 over it. Everything is cached under `~/.cache/drex-swarm`, keyed by the content hash of the
 * circuit and of the setup's input, so a warm machine returns at once.
 */
export async function ensureArtifacts(opts: SetupOptions = {}): Promise<Artifacts> {
  const progress = opts.progress ?? silentProgress();
  const spec: CircuitSpec = opts.circuit ?? DEFAULT_CIRCUIT;
  const circuit = await compileCircuit(spec, progress);
  const r1cs = readR1csHeader(circuit.r1cs);
  const power = domainPower(r1cs.nConstraints, r1cs.nPublic);
  const ptauPath = opts.ptau ?? process.env.DREX_PTAU;
  const ptau = ptauPath ? openExternalPtau(ptauPath, power) : null;
  const devPtau = !ptau && (opts.devPtau ?? process.env.DREX_DEV_PTAU === '1');
  const setupKey = ptau ? `ptau:${await sha256File(ptau.path)}` : `${DEV_SETUP_VERSION}${devPtau ? ':with-ptau' : ''}`;
  const key = sha256Hex(`${circuit.hash}:${setupKey}`).slice(0, 16);
  const dir = join(cacheDir('artifacts'), `${specName(spec)}-${key}`);
  const paths = artifactPaths(dir, circuit);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    await withFileLock(
      `${dir}.lock`,
      async () => {
        if (existsSync(manifestPath)) return;
        const tmp = `${dir}.${process.pid}.tmp`;
        rmSync(tmp, { recursive: true, force: true });
        mkdirSync(tmp, { recursive: true });
        try {
          const setup = ptau ? await phase2Into(tmp, ptau) : await devSetupInto(tmp);
          await exportsInto(tmp, setup);
        } catch (err) {
          rmSync(tmp, { recursive: true, force: true });
          throw err;
        } finally {
          await releaseSnarkjs();
        }
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      },
      () => progress.step('waiting for another process building the same keys'),
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as ArtifactManifest;
  return { manifest, ...paths };

  async function devSetupInto(tmp: string): Promise<SetupMethod> {
    const ptauFile = devPtau ? DEV_PTAU_FILE : undefined;
    await devSetup({ r1cs: circuit.r1cs, zkey: join(tmp, 'transfer.zkey'), progress, ...(ptauFile ? { ptau: join(tmp, ptauFile) } : {}) });
    return { method: 'dev-single-party', trusted: false, ...(ptauFile ? { ptau: ptauFile } : {}) };
  }

  /** snarkjs's Groth16 setup over the external powers of tau, then one local phase-2 contribution. */
  async function phase2Into(tmp: string, p: ExternalPtau): Promise<SetupMethod> {
    const z0 = join(tmp, 'transfer_0.zkey');
    const made = await timedStep(progress, `groth16 setup over ${p.path} (2^${p.power})`, () =>
      snarkjs.zKey.newZKey(circuit.r1cs, p.path, z0, progress.logger),
    );
    // snarkjs answers some failures with -1 instead of throwing
    if (!(made instanceof Uint8Array)) throw new PtauError(`snarkjs could not build a key from ${p.path} (see the messages above)`);
    await timedStep(progress, 'phase 2: local contribution', () =>
      snarkjs.zKey.contribute(z0, join(tmp, 'transfer.zkey'), 'drex-swarm local', randomBytes(32).toString('hex'), progress.logger),
    );
    rmSync(z0);
    return { method: 'ptau-phase2', trusted: false, ptauSha256: await sha256File(p.path), ptauPower: p.power };
  }

  /** Verification key, Solidity verifier and manifest beside the proving key in `tmp`. */
  async function exportsInto(tmp: string, setup: SetupMethod): Promise<void> {
    const zkey = join(tmp, 'transfer.zkey');
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    writeFileSync(join(tmp, 'verification_key.json'), JSON.stringify(vkey, null, 1));
    const template = readFileSync(join(dirname(dirname(require.resolve('snarkjs'))), 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
    const sol = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template });
    writeFileSync(join(tmp, 'TransferVerifier.sol'), sol);
    const manifest: ArtifactManifest = {
      circuit: spec.circuit,
      k: spec.k,
      depth: spec.depth,
      nullDepth: spec.nullDepth,
      constraints: r1cs.nConstraints,
      publicInputs: r1cs.nPublic,
      power,
      circuitHash: circuit.hash,
      zkeyHash: await sha256File(zkey),
      wasmHash: await sha256File(circuit.wasm),
      vkeyHash: await sha256File(join(tmp, 'verification_key.json')),
      setup,
      createdAt: new Date().toISOString(),
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
}
