import type { Devnet } from '../devnet/devnet.ts';
import type { Prng } from './prng.ts';
import type { FaultRecord, FaultTarget } from './types.ts';

/** One planned fault: wait `delayMs` after the previous victim is back, then signal `target`. */
export interface PlannedFault {
  delayMs: number;
  target: FaultTarget;
  signal: 'SIGKILL' | 'SIGTERM';
}

/** The kinds of fault: processes are killed (-9); the services are restarted (SIGTERM, they flush). */
const KINDS = ['orchestrator', 'aggregator', 'worker', 'nats', 'redis'] as const;

/**
 * `count` faults: every kind at least once (when `count` allows), the rest drawn uniformly over the
 * kinds, in a shuffled order; a worker fault picks one of `workers` workers; delays uniform in `spacing`.
 */
export function planFaults(rng: Prng, o: { count: number; workers: number; spacing: { min: number; max: number } }): PlannedFault[] {
  const kinds = [...KINDS].filter((k) => k !== 'worker' || o.workers > 0);
  const picks = [...kinds.slice(0, o.count), ...Array.from({ length: Math.max(0, o.count - kinds.length) }, () => rng.pick(kinds))];
  return rng.shuffle(picks).map((kind) => {
    const target: FaultTarget = kind === 'worker' ? `worker-${rng.int(0, o.workers - 1)}` : kind;
    return { delayMs: rng.int(o.spacing.min, o.spacing.max), target, signal: kind === 'nats' || kind === 'redis' ? 'SIGTERM' : 'SIGKILL' };
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Injects the planned faults one after another into a supervised devnet: waits the fault's delay,
 * signals the target's current process, and waits until the supervisor has restarted it before the
 * next one. Returns a record of each fault (with `context()`, e.g. the batches' states, at its time).
 */
export async function injectFaults(
  net: Pick<Devnet, 'pid' | 'nextRestart'>,
  plan: PlannedFault[],
  o: { t0: number; log: (m: string) => void; restartTimeoutMs?: number; context?: () => string },
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  const restartTimeoutMs = o.restartTimeoutMs ?? 120_000;
  for (const [i, f] of plan.entries()) {
    await sleep(f.delayMs);
    let pid = net.pid(f.target);
    if (pid === undefined) {
      // It is down already (it exited on its own): the fault waits for it to be back.
      o.log(`fault ${i + 1}: ${f.target} is down; waiting for its restart`);
      pid = await net.nextRestart(f.target, restartTimeoutMs).then((r) => r.pid, () => net.pid(f.target));
      if (pid === undefined) {
        o.log(`fault ${i + 1}: ${f.target} did not come back; skipped`);
        continue;
      }
    }
    const restarted = net.nextRestart(f.target, restartTimeoutMs);
    restarted.catch(() => {});
    const sent = Date.now();
    try {
      process.kill(pid, f.signal);
    } catch (err) {
      o.log(`fault ${i + 1}: ${f.signal} to ${f.target} (pid ${pid}) failed: ${(err as Error).message}`);
    }
    const rec: FaultRecord = { atMs: sent - o.t0, target: f.target, signal: f.signal, pid, ...(o.context ? { batches: o.context() } : {}) };
    records.push(rec);
    o.log(`fault ${i + 1}/${plan.length} at ${(rec.atMs / 1000).toFixed(1)} s: ${f.signal} ${f.target} (pid ${pid})${rec.batches ? `; batches: ${rec.batches}` : ''}`);
    try {
      const r = await restarted;
      rec.restartedPid = r.pid;
      rec.restartMs = Date.now() - sent;
      o.log(`  ${f.target} back as pid ${r.pid} after ${(rec.restartMs / 1000).toFixed(1)} s`);
    } catch (err) {
      o.log(`  ${f.target} not restarted: ${(err as Error).message}`);
    }
  }
  return records;
}
