import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Why a job was not proved (label `reason` of drex_worker_jobs_failed_total). */
export type JobFailureReason = 'malformed' | 'artifact' | 'witness' | 'share' | 'prover' | 'publish' | 'abandoned' | 'lease_lost';

/** The worker's Prometheus metrics, in a registry of their own (several workers may share a process). */
export interface WorkerMetrics {
  registry: Registry;
  jobsProved: Counter;
  jobsFailed: Counter<'reason'>;
  proveSeconds: Histogram;
  halvesAnswered: Counter;
  msmSeconds: Histogram;
  jobsInHand: Gauge;
}

/** Creates the worker's metrics; `labels` (e.g. worker id, runtime) are added to every series. */
export function createWorkerMetrics(labels: Record<string, string> = {}): WorkerMetrics {
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
