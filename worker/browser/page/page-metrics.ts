/** The browser worker's metrics: the runtime's counters kept in the page, for its own display. */
import type { WorkerMetrics } from '../../runtime/metrics.ts';

/** Counters since the page started, and MSM times (ms) of the halves answered. */
export interface PageCounts {
  halves: number;
  proved: number;
  failed: Record<string, number>;
  inHand: number;
  msmMs: number[];
}

/** Metrics the runtime fills and the page reads. */
export function createPageMetrics(): { metrics: WorkerMetrics; counts: PageCounts } {
  const counts: PageCounts = { halves: 0, proved: 0, failed: {}, inHand: 0, msmMs: [] };
  const metrics: WorkerMetrics = {
    jobsProved: { inc: () => void counts.proved++ },
    jobsFailed: {
      inc: (labels) => {
        const reason = labels.reason ?? 'unknown';
        counts.failed[reason] = (counts.failed[reason] ?? 0) + 1;
      },
    },
    proveSeconds: { observe: () => {} },
    halvesAnswered: { inc: () => void counts.halves++ },
    msmSeconds: {
      observe: (s) => {
        counts.msmMs.push(s * 1000);
        if (counts.msmMs.length > 100) counts.msmMs.shift();
      },
    },
    jobsInHand: { inc: () => void counts.inHand++, dec: () => void counts.inHand-- },
  };
  return { metrics, counts };
}
