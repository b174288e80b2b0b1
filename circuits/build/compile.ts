import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

/** Path of the transfer circuit's source. */
export const TRANSFER_SOURCE = resolve(here, '../src/transfer.circom');
/** Default note-tree depth (2^20 notes). */
export const DEFAULT_DEPTH = 20;
/** Poseidon(0, 0): the root of an empty two-leaf subtree, a parameter of the circuit. */
export const EMPTY_PAIR = 14744269619966411208579211824598458697587494354926760081771325075741142829156n;

/** The public signals, in the order the circuit exposes them. */
export const PUBLIC_INPUTS = ['rootBefore', 'rootAfter', 'nullifier', 'commitment', 'valueIn', 'valueOut', 'limit', 'minter', 'intentNullifier'];

/** A compiled circuit in the cache. */
export interface CompiledCircuit {
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

function mainSource(depth: number): string {
  return [
    'pragma circom 2.1.0;',
    'include "transfer.circom";',
    `component main {public [${PUBLIC_INPUTS.join(', ')}]} = Transfer(${depth}, ${EMPTY_PAIR});`,
    '',
  ].join('\n');
}

/** The cache key of the transfer circuit at `depth`. */
export function circuitHash(depth: number): string {
  return sha256Hex(
    JSON.stringify({
      source: readFileSync(TRANSFER_SOURCE, 'utf8'),
      main: mainSource(depth),
      circom2: versionOf('circom2'),
      circomlib: versionOf('circomlib'),
      flags: '--O2',
    }),
  ).slice(0, 16);
}

/**
 * Compiles the transfer circuit (circom2, `--O2`) for a tree of `depth` levels, once per content hash;
 * later calls return the cached build.
 */
export async function compileTransferCircuit(depth: number, progress: Progress): Promise<CompiledCircuit> {
  if (!Number.isInteger(depth) || depth < 2 || depth > 32) throw new RangeError(`tree depth must be 2..32, got ${depth}`);
  const hash = circuitHash(depth);
  const dir = join(cacheDir('circuits'), `transfer-d${depth}-${hash}`);
  const out: CompiledCircuit = {
    depth,
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
    writeFileSync(join(tmp, 'main.circom'), mainSource(depth));
    await timedStep(progress, `compile transfer circuit (depth ${depth}, --O2)`, async () => {
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

/** Runs circom2 on `tmp/main.circom`, writing r1cs, wasm and sym into `tmp`. */
async function compileInto(tmp: string): Promise<void> {
  const cli = join(dirname(require.resolve('circom2/package.json')), 'cli.js');
  // circom2 runs under WASI with the working directory's ancestors preopened: run it from / and give it
  // paths relative to /.
  const rel = (p: string) => relative('/', p);
  const nodeModules = dirname(dirname(require.resolve('circomlib/package.json')));
  const args = [cli, rel(join(tmp, 'main.circom')), '--O2', '--r1cs', '--wasm', '--sym', '-o', rel(tmp)];
  args.push('-l', rel(dirname(TRANSFER_SOURCE)), '-l', rel(nodeModules));
  try {
    await run(process.execPath, args, { cwd: '/', maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new CircuitCompileError(`circom2 failed: ${e.stderr || e.message}`, { cause: err });
  }
}
