import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheDir } from '../ceremony/cache-dir.ts';
import { withFileLock } from '../ceremony/file-lock.ts';
import type { Progress } from '../ceremony/progress.ts';
import { timedStep } from '../ceremony/progress.ts';
import { sha256Hex } from './hash.ts';
import { DrexError } from '../../protocol/errors.ts';
import { circuitFromEnv } from './circuit-name.ts';
import { MAX_TRANSFERS_PER_PROOF } from '../../protocol/transfer-public-inputs.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

const SOURCES = resolve(here, '../src');
/** Poseidon(0, 0): the root of an empty two-leaf subtree, a parameter of the circuit. */
export const EMPTY_PAIR = 14744269619966411208579211824598458697587494354926760081771325075741142829156n;

/** The public signals of the k-transfer circuit (transfer-batch.circom), in its order. */
export const BATCH_PUBLIC_INPUTS = [
  'noteRootBefore', 'noteRootAfter', 'noteIndex', 'nullRootBefore', 'nullRootAfter',
  'transfers', 'valueIn', 'valueOut', 'limit', 'minter', 'domain',
];

/** Which circuit to build: the k-transfer circuit with its note-tree and nullifier-set depths. */
export interface CircuitSpec {
  circuit: 'transfer-batch';
  /** Transfers per proof. */
  k: number;
  depth: number;
  nullDepth: number;
}

/**
 * The built-in circuit: one transfer per proof, 2^20 notes, 2^21 nullifier-set entries. A larger k
 * settles cheaper per transfer and needs a larger setup (see the README's settlement gas table).
 */
export const BUILT_IN_CIRCUIT: CircuitSpec = { circuit: 'transfer-batch', k: 1, depth: 20, nullDepth: 21 };

/** The deployment default: `DREX_CIRCUIT` (e.g. `k4-d20-n21`) when set, else the built-in circuit. */
export const DEFAULT_CIRCUIT: CircuitSpec = circuitFromEnv(BUILT_IN_CIRCUIT);

/** A compiled circuit in the cache. */
export interface CompiledCircuit {
  spec: CircuitSpec;
  depth: number;
  /** Content hash of everything the compilation depends on. */
  hash: string;
  dir: string;
  r1cs: string;
  wasm: string;
  sym: string;
}

/** Raised when the circom compiler fails. */
export class CircuitCompileError extends DrexError {
  override name = 'CircuitCompileError';
  readonly code = 'CIRCUIT_COMPILE_FAILED';
}

function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
}

/** Short name of a spec, used in cache directory names: transfer-batch-k8-d20-n21. */
export function specName(spec: CircuitSpec): string {
  return `transfer-batch-k${spec.k}-d${spec.depth}-n${spec.nullDepth}`;
}

/** Refuses parameters the circuits cannot take (RangeError). */
export function checkSpec(spec: CircuitSpec): void {
  const depthOk = (d: number) => Number.isInteger(d) && d >= 2 && d <= 32;
  if (!depthOk(spec.depth)) throw new RangeError(`tree depth must be 2..32, got ${spec.depth}`);
  if (spec.circuit !== 'transfer-batch') throw new RangeError(`unknown circuit ${String(spec.circuit)}`);
  if (!depthOk(spec.nullDepth)) throw new RangeError(`nullifier-set depth must be 2..32, got ${spec.nullDepth}`);
  if (!Number.isInteger(spec.k) || spec.k < 1 || spec.k > MAX_TRANSFERS_PER_PROOF) throw new RangeError(`transfers per proof must be 1..${MAX_TRANSFERS_PER_PROOF}, got ${spec.k}`);
}

function mainSource(spec: CircuitSpec): string {
  const main = `component main {public [${BATCH_PUBLIC_INPUTS.join(', ')}]} = TransferBatch(${spec.k}, ${spec.depth}, ${spec.nullDepth}, ${EMPTY_PAIR});`;
  return ['pragma circom 2.1.0;', 'include "transfer-batch.circom";', main, ''].join('\n');
}

/** The cache key of a circuit: its main component, every source under circuits/src, and the compiler. */
export function circuitHash(spec: CircuitSpec): string {
  const sources = readdirSync(SOURCES)
    .filter((f) => f.endsWith('.circom'))
    .sort()
    .map((f) => [f, readFileSync(join(SOURCES, f), 'utf8')]);
  return sha256Hex(
    JSON.stringify({
      sources,
      main: mainSource(spec),
      circom2: versionOf('circom2'),
      circomlib: versionOf('circomlib'),
      flags: '--O2',
    }),
  ).slice(0, 16);
}

/** Compiles a circuit (circom2, `--O2`) once per content hash; later calls return the cached build. */
export async function compileCircuit(spec: CircuitSpec, progress: Progress): Promise<CompiledCircuit> {
  checkSpec(spec);
  const hash = circuitHash(spec);
  const dir = join(cacheDir('circuits'), `${specName(spec)}-${hash}`);
  const out: CompiledCircuit = {
    spec,
    depth: spec.depth,
    hash,
    dir,
    r1cs: join(dir, 'main.r1cs'),
    wasm: join(dir, 'main_js', 'main.wasm'),
    sym: join(dir, 'main.sym'),
  };
  if (existsSync(join(dir, 'done'))) return out;
  await withFileLock(`${dir}.lock`, async () => {
    if (existsSync(join(dir, 'done'))) return;
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'main.circom'), mainSource(spec));
    await timedStep(progress, `compile ${specName(spec)} (--O2)`, async () => {
      try {
        await compileInto(tmp);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      }
    });
    writeFileSync(join(tmp, 'done'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  });
  return out;
}

/**
 * Runs circom2 (`--O2`) on `dir/main.circom`, writing r1cs, wasm and sym into `dir`; includes resolve
 * against circuits/src and node_modules (circomlib).
 */
export async function compileInto(dir: string): Promise<void> {
  const cli = join(dirname(require.resolve('circom2/package.json')), 'cli.js');
  // circom2 runs under WASI with the working directory's ancestors preopened: run it from / and give it
  // paths relative to /.
  const rel = (p: string) => relative('/', p);
  const nodeModules = dirname(dirname(require.resolve('circomlib/package.json')));
  const args = [cli, rel(join(dir, 'main.circom')), '--O2', '--r1cs', '--wasm', '--sym', '-o', rel(dir)];
  args.push('-l', rel(SOURCES), '-l', rel(nodeModules));
  try {
    await run(process.execPath, args, { cwd: '/', maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new CircuitCompileError(`circom2 failed: ${e.stderr || e.message}`, { cause: err });
  }
}
