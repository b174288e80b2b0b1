import { describe, expect, it } from 'vitest';
import { runChaos } from '../../cli/chaos/run-chaos.ts';
import { planFaults } from '../../cli/chaos/faults.ts';
import { mulberry32 } from '../../cli/chaos/prng.ts';

describe('chaos plan', () => {
  it('is a function of the seed and hits every kind of process', () => {
    const plan = (seed: number) => planFaults(mulberry32(seed), { count: 20, workers: 2, spacing: { min: 1500, max: 5000 } });
    expect(plan(7)).toEqual(plan(7));
    expect(plan(7)).not.toEqual(plan(8));
    const p = plan(7);
    expect(p).toHaveLength(20);
    for (const t of ['orchestrator', 'aggregator', 'nats', 'redis']) expect(p.some((f) => f.target === t)).toBe(true);
    expect(p.some((f) => f.target.startsWith('worker-'))).toBe(true);
    for (const f of p) {
      expect(f.delayMs).toBeGreaterThanOrEqual(1500);
      expect(f.delayMs).toBeLessThanOrEqual(5000);
      expect(f.signal).toBe(f.target === 'nats' || f.target === 'redis' ? 'SIGTERM' : 'SIGKILL');
    }
  });
});

describe('chaos run', () => {
  // A whole devnet (real nats-server, redis-server, EVM, workers, proofs) with 20 seeded faults. Progress
  // and every process's log go to files under the run folder, which is kept (and named) on failure.
  // Four transfers per proof: the 64 transfers are 16 proofs (32 split halves), and k > 1 runs through
  // every part of the swarm, kills and restarts included.
  it('loses nothing, applies nothing twice and ends on the planner\'s root despite kills and restarts', async () => {
    const report = await runChaos({ seed: 7, transfersPerProof: 4 });
    const { seed, faults, transfers, settled, lost, duplicates, stuck, final_root_matches, durationMs } = report;
    console.info(`chaos report: ${JSON.stringify({ seed, faults, transfers, settled, lost, duplicates, stuck, final_root_matches, durationMs })}`);
    const summary = { ...report, faultLog: undefined, batches: report.batches.map((b) => `${b.batchId.slice(0, 12)} ${b.state} ${b.settledOnChain}/${b.transfers}`) };
    expect(summary, `run folder ${report.dir}`).toMatchObject({ transfers: 64, settled: 64, lost: 0, duplicates: 0, stuck: 0, final_root_matches: true });
    expect(report.faults).toBeGreaterThanOrEqual(20);
    expect(new Set(report.faultLog.map((f) => f.target.replace(/-\d+$/, ''))).size).toBe(5);
  }, 40 * 60_000); // the run's own bound (ChaosOptions.timeoutMs); on a slow day it took 23 min, artifacts included
});
