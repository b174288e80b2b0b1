import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a job was not proved (label `reason` of drex_worker_jobs_failed_total). */
export type JobFailureReason = 'malformed' | 'artifact' | 'witness' | 'share' | 'prover' | 'publish' | 'abandoned' | 'lease_lost';

/** A count that only goes up. */
export interface CountMetric {
  inc(): void;
}
/** Counts that only go up, by label. */
export interface LabeledCountMetric<L extends string> {
  inc(labels: Partial<Record<L, string>>): void;
}
/** A value that goes up and down. */
export interface LevelMetric {
  inc(): void;
  dec(): void;
}
/** A distribution of observed values. */
export interface TimeMetric {
  observe(value: number): void;
}

/**
 * What the runtime records (shapes any metrics library can fill: prom-client's in Node, the page's own
 * in a browser worker). Histograms are in seconds.
 */
export interface WorkerMetrics {
  jobsProved: CountMetric;
  jobsFailed: LabeledCountMetric<'reason'>;
  proveSeconds: TimeMetric;
  halvesAnswered: CountMetric;
  msmSeconds: TimeMetric;
  jobsInHand: LevelMetric;
}

/** The worker's Prometheus metrics, in a registry of their own (several workers may share a process). */
export interface PromWorkerMetrics extends WorkerMetrics {
  registry: Registry;
  jobsProved: Counter;
  jobsFailed: Counter<'reason'>;
  proveSeconds: Histogram;
  halvesAnswered: Counter;
  msmSeconds: Histogram;
  jobsInHand: Gauge;
}

/** Creates the worker's metrics; `labels` (e.g. worker id, runtime) are added to every series. */
export function createWorkerMetrics(labels: Record<string, string> = {}): PromWorkerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  return {
    registry,
    jobsProved: new Counter({ name: 'drex_worker_jobs_proved_total', help: 'Jobs proved and reported', registers: [registry] }),
    jobsFailed: new Counter({
      name: 'drex_worker_jobs_failed_total',
      help: 'Jobs not proved, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    proveSeconds: new Histogram({
      name: 'drex_worker_prove_seconds',
      help: 'Witness plus Groth16 proof time of one job',
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 21, 34],
      registers: [registry],
    }),
    halvesAnswered: new Counter({ name: 'drex_worker_halves_answered_total', help: 'Half jobs (split proving) answered with their five MSM points', registers: [registry] }),
    msmSeconds: new Histogram({
      name: 'drex_worker_msm_seconds',
      help: 'The five MSMs of one half job',
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 21, 34],
      registers: [registry],
    }),
    jobsInHand: new Gauge({ name: 'drex_worker_jobs_in_hand', help: 'Jobs pulled and not yet settled', registers: [registry] }),
  };
}
