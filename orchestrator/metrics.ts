import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The orchestrator's Prometheus metrics, on their own registry. */
export function createMetrics() {
  const registry = new Registry();
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
