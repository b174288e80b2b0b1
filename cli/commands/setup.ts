import { Command, InvalidArgumentError } from 'commander';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { DEFAULT_DEPTH } from '../../circuits/build/compile.ts';

export function parseDepth(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > 32) throw new InvalidArgumentError('depth must be an integer in 2..32');
  return n;
}

/** `drex-swarm setup`: compile the circuit and run (or reuse) the dev ceremony. */
export function setupCommand(): Command {
  return new Command('setup')
    .description('compile the transfer circuit and run the dev trusted setup (cached by content hash)')
    .option('--depth <n>', 'note-tree depth', parseDepth, DEFAULT_DEPTH)
    .option('--ptau <file>', 'use this phase-2-ready powers-of-tau file instead of the dev ceremony (or set DREX_PTAU)')
    .action(async (opts: { depth: number; ptau?: string }) => {
      const a = await ensureArtifacts({ depth: opts.depth, ptau: opts.ptau, progress: stderrProgress('setup') });
      process.stdout.write(`${JSON.stringify({ dir: a.dir, ...a.manifest })}\n`);
    });
}
