// The swarm pipeline: a 32-transfer batch with 1 and with 2 single-threaded Node workers, on real NATS,
// Redis and proofs. Prints wall time, speedup, parallel efficiency and the per-job overhead outside proving.
import { Redis } from 'ioredis';
import type { StoredProof } from '../orchestrator/store/batch-store.ts';
import { Swarm } from '../test/support/swarm-harness.ts';
import { median, note, quantile, round } from './stats.ts';

const N = Number(process.env.BENCH_TRANSFERS ?? 32);
process.env.DREX_LOG_LEVEL ??= 'warn';

const swarm = await new Swarm({ workers: 1, jobAckWaitMs: 60_000 }).start();
const redis = new Redis(swarm.redis.url);
try {
  note('funding the dev accounts (also warms the worker)');
  const funding = await swarm.run('central-bank', swarm.depositIntents(2, 100_000_000n), 'bench-funding');
  if (funding.last.state !== 'VERIFIED') throw new Error(`funding batch ended ${funding.last.state}`);

  async function runBatch(workers: number, key: string) {
    const intents = [...swarm.transferIntents('bank-a', N / 2, 2), ...swarm.transferIntents('bank-b', N / 2, 2)];
    // Two banks' transfers in one batch: submitted by bank-a (a bank may submit for any of its customers;
    // here the dev accounts of both banks are signed by their own keys).
    note(`${N} transfers with ${workers} worker(s)`);
    const t0 = Date.now();
    const r = await swarm.run('bank-a', intents, key);
    const wallS = (Date.now() - t0) / 1000;
    if (r.last.state !== 'VERIFIED') throw new Error(`batch ended ${r.last.state}`);
    const proofs = Object.values(await redis.hgetall(`drex:batch:${r.batchId}:proofs`)).map((s) => JSON.parse(s) as StoredProof);
    const provingMs = proofs.map((p) => (p.witnessMs ?? 0) + p.proveMs);
    // Overhead of a job outside proving: delivery to a free worker, worker-side work besides the proof,
    // result transport, verification and verdict. Time spent waiting for a busy worker is not overhead.
    const byWorker = new Map<string, StoredProof[]>();
    for (const p of proofs) byWorker.set(p.workerId, [...(byWorker.get(p.workerId) ?? []), p]);
    const overhead: number[] = [];
    for (const list of byWorker.values()) {
      list.sort((a, b) => a.startedMs! - b.startedMs!);
      let prevFinish = 0;
      for (const p of list) {
        const delivery = p.startedMs! - Math.max(p.enqueuedMs!, prevFinish);
        const workerSide = p.finishedMs! - p.startedMs! - (p.witnessMs ?? 0) - p.proveMs;
        const afterwards = p.verifiedMs! - p.finishedMs!;
        overhead.push(Math.max(0, delivery) + workerSide + afterwards);
        prevFinish = p.finishedMs!;
      }
    }
    const sumProveS = provingMs.reduce((a, b) => a + b, 0) / 1000;
    return { wallS, sumProveS, efficiency: sumProveS / (workers * wallS), overhead, medianProveMs: median(provingMs) };
  }

  const one = await runBatch(1, 'bench-1w');
  await swarm.addWorker();
  const two = await runBatch(2, 'bench-2w');
  const overhead = [...one.overhead, ...two.overhead];
  console.log(
    JSON.stringify({
      bench: 'swarm',
      transfers: N,
      wall_s_1_worker: round(one.wallS),
      wall_s_2_workers: round(two.wallS),
      speedup: round(one.wallS / two.wallS, 2),
      efficiency_1_worker: round(one.efficiency, 2),
      efficiency_2_workers: round(two.efficiency, 2),
      median_prove_ms: round(median([one.medianProveMs, two.medianProveMs])),
      overhead_p50_ms: round(quantile(overhead, 0.5)),
      overhead_p99_ms: round(quantile(overhead, 0.99)),
      cores: (await import('node:os')).availableParallelism(),
    }),
  );
} finally {
  redis.disconnect();
  await swarm.stop();
}
