import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Jobs of open batches by state, as the batch records count them (see `scrapeSources`). */
export interface JobCounts {
  /** Proofs of planned batches whose jobs are not published yet. */
  waiting: number;
  /** Proofs of proving batches without a verified proof yet. */
  proving: number;
  /** Verified proofs of batches not final yet. */
  verified: number;
}

/** The jobs stream's `provers` consumer: messages not yet delivered, and delivered but not acked. */
export interface QueueDepth {
  pending: number;
  inFlight: number;
}

/** How long a scrape waits for a sampled source before it keeps the last value. */
const SCRAPE_SOURCE_TIMEOUT_MS = 1_000;

/** Runs a scrape-time source, cut after SCRAPE_SOURCE_TIMEOUT_MS; undefined when it failed or was cut. */
async function sample<T>(source: (() => Promise<T>) | undefined): Promise<T | undefined> {
  if (!source) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([source(), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SCRAPE_SOURCE_TIMEOUT_MS)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The orchestrator's Prometheus metrics, on their own registry. */
export function createMetrics() {
  const registry = new Registry();
  /** What the gauges sampled on scrape read; set by the orchestrator once its store and NATS are up. */
  const scrapeSources: { jobs?: () => Promise<JobCounts>; queue?: () => Promise<QueueDepth> } = {};
  /** Seconds, for worker compute and turnaround times (10 ms .. ~20 min). */
  const workBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 300, 600, 1200];
  collectDefaultMetrics({ register: registry, prefix: 'drex_orchestrator_' });
  return {
    registry,
    batchesSubmitted: new Counter({ name: 'drex_batches_submitted_total', help: 'SubmitBatch calls by outcome', labelNames: ['outcome'], registers: [registry] }),
    requestsRejected: new Counter({ name: 'drex_requests_rejected_total', help: 'Requests refused at the boundary by error code', labelNames: ['code'], registers: [registry] }),
    batchesFinished: new Counter({ name: 'drex_batches_finished_total', help: 'Batches reaching a final state', labelNames: ['state'], registers: [registry] }),
    jobsPublished: new Counter({ name: 'drex_jobs_published_total', help: 'Proving jobs published', registers: [registry] }),
    jobsReissued: new Counter({ name: 'drex_jobs_reissued_total', help: 'Jobs published again, by reason', labelNames: ['reason'], registers: [registry] }),
    messagesRefused: new Counter({
      name: 'drex_messages_refused_total',
      help: 'Verdicts and settlement outcomes dropped unhandled, by message and reason (MALFORMED, UNSIGNED, UNKNOWN_SIGNER, BAD_SIGNATURE, INDEX_OUT_OF_RANGE)',
      labelNames: ['what', 'reason'],
      registers: [registry],
    }),
    proofsAccepted: new Counter({ name: 'drex_proofs_accepted_total', help: 'Verified proofs recorded', registers: [registry] }),
    jobLatency: new Histogram({
      name: 'drex_job_latency_seconds',
      help: 'From job enqueue to verified result',
      buckets: [0.5, 1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    settlementDivergences: new Counter({
      name: 'drex_settlement_divergences_total',
      help: 'Batches whose chain record (or the chain root) diverged from their plan, by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    admissions: new Counter({ name: 'drex_admissions_total', help: 'Worker credentials issued by admission', registers: [registry] }),
    admissionsRefused: new Counter({ name: 'drex_admissions_refused_total', help: 'Admission requests refused, by code', labelNames: ['code'], registers: [registry] }),
    isLeader: new Gauge({ name: 'drex_orchestrator_leader', help: '1 while this orchestrator holds the leader lease', registers: [registry] }),
    watchers: new Gauge({ name: 'drex_bank_watchers', help: 'WatchBatch streams open, all banks together', registers: [registry] }),
    openBatches: new Gauge({ name: 'drex_open_batches', help: 'Planned batches not yet final', registers: [registry] }),
    scrapeSources,
    jobs: new Gauge({
      name: 'drex_jobs',
      help: 'Proofs (jobs) of batches not final yet, by state: waiting (planned, not published), proving (published, no verified proof yet), verified; sampled on scrape',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const c = await sample(scrapeSources.jobs);
        if (c) for (const [state, v] of Object.entries(c)) this.set({ state }, v);
      },
    }),
    queueDepth: new Gauge({
      name: 'drex_job_queue_depth',
      help: "Messages of the jobs stream's provers consumer: pending (not yet delivered to a worker) and in_flight (delivered, not acked); sampled on scrape",
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const q = await sample(scrapeSources.queue);
        if (q) {
          this.set({ state: 'pending' }, q.pending);
          this.set({ state: 'in_flight' }, q.inFlight);
        }
      },
    }),
    jobResults: new Counter({
      name: 'drex_job_results_total',
      help: "The aggregator's verdicts on job results, by outcome: accepted, or the rejection reason (WRONG_PUBLIC_SIGNALS, PROOF_INVALID, WRONG_HALF, ...)",
      labelNames: ['outcome'],
      registers: [registry],
    }),
    proveTime: new Histogram({
      name: 'drex_job_prove_seconds',
      help: "Worker compute time of an accepted proof: split mode the slower half's MSMs, whole mode the whole proof; by mode and by the worker's runtime and MSM backend (split: its two workers', `mixed` when they differ)",
      labelNames: ['mode', 'runtime', 'msm_backend'],
      buckets: workBuckets,
      registers: [registry],
    }),
    turnaround: new Histogram({
      name: 'drex_job_turnaround_seconds',
      help: "From a job's publication to its verified proof, by mode and by the worker's runtime and MSM backend (split: its two workers', `mixed` when they differ)",
      labelNames: ['mode', 'runtime', 'msm_backend'],
      buckets: workBuckets,
      registers: [registry],
    }),
    batchLatency: new Histogram({
      name: 'drex_batch_latency_seconds',
      help: 'From a batch accepted to its final state, by that state (SETTLED, FAILED; VERIFIED without a ledger)',
      labelNames: ['state'],
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers: [registry],
    }),
    settlementGas: new Histogram({
      name: 'drex_settlement_gas_used',
      help: 'Gas used by the transaction that settled a batch (from its receipt, read when the batch is found settled)',
      buckets: [250_000, 500_000, 750_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 5_000_000, 8_000_000, 12_000_000, 20_000_000],
      registers: [registry],
    }),
    apiRefused: new Counter({
      name: 'drex_api_requests_refused_total',
      help: 'Regulator API and portal requests refused, by code (UNAUTHORIZED, BAD_QUERY, BAD_PARAMETER, BATCH_NOT_FOUND, NOT_SETTLED, REVERIFY_BUSY, ...)',
      labelNames: ['code'],
      registers: [registry],
    }),
    reverifications: new Counter({
      name: 'drex_reverifications_total',
      help: 'Re-verifications of settled batches against the chain, by outcome (passed, failed, error)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
