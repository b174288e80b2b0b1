import { Gauge, type Registry } from 'prom-client';

/** A worker's score with a clean record; scores stay within 0..100. */
export const CLEAN_REPUTATION = 100;

/**
 * Workers' reputation as this aggregator process has seen their results: a score per worker, exported
 * as `drex_worker_reputation{worker}` (the first 16 hex digits of its key).
 */
export class Reputation {
  private readonly scores = new Map<string, number>();
  private readonly gauge: Gauge<'worker'>;

  constructor(registry: Registry) {
    this.gauge = new Gauge({ name: 'drex_worker_reputation', help: 'Reputation score per worker (starts at 100)', labelNames: ['worker'], registers: [registry] });
  }

  /** Moves `workerId`'s score by `delta`, within 0..100. */
  bump(workerId: string, delta: number): void {
    const s = Math.max(0, Math.min(CLEAN_REPUTATION, this.of(workerId) + delta));
    this.scores.set(workerId, s);
    this.gauge.set({ worker: workerId.slice(0, 16) }, s);
  }

  /** `workerId`'s score (100 = clean record). */
  of(workerId: string): number {
    return this.scores.get(workerId) ?? CLEAN_REPUTATION;
  }
}
