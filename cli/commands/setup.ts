import { Command, InvalidArgumentError } from 'commander';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { DEFAULT_CIRCUIT } from '../../circuits/build/compile.ts';
import { MAX_TRANSFERS_PER_PROOF } from '../../protocol/transfer-public-inputs.ts';

export function parseDepth(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > 32) throw new InvalidArgumentError('depth must be an integer in 2..32');
  return n;
}

export function parseK(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TRANSFERS_PER_PROOF) throw new InvalidArgumentError(`transfers per proof must be an integer in 1..${MAX_TRANSFERS_PER_PROOF}`);
  return n;
}

/** `drex-swarm setup`: compile the circuit and make (or reuse) its keys. */
export function setupCommand(): Command {
  return new Command('setup')
    .description('compile the k-transfer circuit and make its Groth16 keys: the fast dev setup (NOT a trusted setup), or phase 2 over --ptau; cached by content hash')
    .option('--transfers-per-proof <k>', `k: transfers per proof (1..${MAX_TRANSFERS_PER_PROOF})`, parseK, DEFAULT_CIRCUIT.k)
    .option('--depth <n>', 'note-tree depth', parseDepth, DEFAULT_CIRCUIT.depth)
    .option('--null-depth <n>', 'nullifier-set depth', parseDepth, DEFAULT_CIRCUIT.nullDepth)
    .option('--ptau <file>', 'phase-2-ready powers of tau from a public ceremony: run snarkjs phase 2 over it instead of the dev setup (or set DREX_PTAU)')
    .option('--emit-ptau', 'dev setup: also write the powers of tau its secrets define, for `snarkjs zkey verify` (a separate key set; other commands use it with DREX_DEV_PTAU=1)')
    .action(async (opts: { transfersPerProof: number; depth: number; nullDepth: number; ptau?: string; emitPtau?: boolean }) => {
      const a = await ensureArtifacts({
        circuit: { circuit: 'transfer-batch', k: opts.transfersPerProof, depth: opts.depth, nullDepth: opts.nullDepth },
        ptau: opts.ptau,
        ...(opts.emitPtau ? { devPtau: true } : {}),
        progress: stderrProgress('setup'),
      });
      process.stdout.write(`${JSON.stringify({ dir: a.dir, ...a.manifest })}\n`);
    });
}
