import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';

const integer = (what: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer >= ${min}`);
  return n;
};

/**
 * `drex-swarm chaos --seed S`: a seeded chaos run against a whole local swarm (see cli/chaos/run-chaos.ts).
 * Progress goes to stderr; the last stdout line is one JSON report. Exits 0 only when nothing was lost
 * or applied twice, no batch is stuck and the chain's root is the planner's.
 */
export function chaosCommand(): Command {
  return new Command('chaos')
    .description('start a devnet, submit batches, kill and restart its parts at seeded random points, then check the outcome against the chain')
    .requiredOption('--seed <n>', 'PRNG seed (intents, fault targets and times)', integer('--seed', 0))
    .option('--batches <n>', 'batches to submit', integer('--batches', 1), 3)
    .option('--transfers <n>', 'transfers over all batches', integer('--transfers', 1), 64)
    .option('--faults <n>', 'faults to inject', integer('--faults', 0), 20)
    .option('--workers <n>', 'Node workers', integer('--workers', 1), 2)
    .option('--transfers-per-proof <k>', 'k of the devnet\'s circuit (default: DREX_CIRCUIT\'s k, else 1)', integer('--transfers-per-proof', 1))
    .option('--timeout-ms <ms>', 'the longest wait for every batch to be final after the faults', integer('--timeout-ms', 1), 40 * 60_000)
    .option('--stall-ms <ms>', 'a batch is stuck when no batch moved (state or proofs verified) for this long', integer('--stall-ms', 1), 5 * 60_000)
    .option('--dir <path>', 'run folder (default: a fresh temporary one, removed when the run passes)')
    .action(async (o: { seed: number; batches: number; transfers: number; faults: number; workers: number; transfersPerProof?: number; timeoutMs: number; stallMs: number; dir?: string }) => {
      const { runChaos } = await import('../chaos/run-chaos.ts');
      const r = await runChaos({ ...o, log: (m) => process.stderr.write(`[chaos] ${m}\n`) });
      const { seed, faults, transfers, settled, lost, duplicates, stuck, final_root_matches, durationMs, dir } = r;
      // The run folder is named only while it exists (a passing run removes its temporary one).
      process.stdout.write(`${JSON.stringify({ seed, faults, transfers, settled, lost, duplicates, stuck, final_root_matches, durationMs, ...(existsSync(dir) ? { dir } : {}) })}\n`);
      if (!r.ok) process.exitCode = 1;
    });
}
