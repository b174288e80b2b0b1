/**
 * NATS names of the proving pipeline. Every subject carries its message schema version (`v1`).
 * Streams are JetStream streams; KV and object-store buckets are JetStream buckets.
 */
export const NATS = {
  /** Work-queue stream of proving jobs; each job is consumed by exactly one worker. */
  jobsStream: 'DREX_JOBS',
  /** Subject of transfer-proof jobs. */
  jobSubject: (circuit: string) => `drex.jobs.v1.${circuit}`,
  jobSubjects: 'drex.jobs.v1.>',
  /** Durable pull consumer shared by every prover. */
  proversConsumer: 'provers',

  /** Stream of signed results from workers. */
  resultsStream: 'DREX_RESULTS',
  resultSubject: (batchId: string) => `drex.results.v1.${batchId}`,
  resultSubjects: 'drex.results.v1.>',
  /** Durable consumer of the aggregator's result intake. */
  intakeConsumer: 'intake',

  /** Stream of the aggregator's verdicts on results. */
  verdictsStream: 'DREX_VERDICTS',
  verdictSubject: (batchId: string) => `drex.verdicts.v1.${batchId}`,
  verdictSubjects: 'drex.verdicts.v1.>',
  /** Durable consumer of the orchestrator's batch state machine. */
  stateConsumer: 'batch-state',

  /** Stream of batches whose every proof is verified, for aggregation and settlement. */
  readyStream: 'DREX_READY',
  /** One subject per batch, so a hand-off still waiting in the stream can be found by its batch. */
  readySubject: (batchId: string) => `drex.ready.v1.${batchId}`,
  readySubjects: 'drex.ready.v1.>',
  settleConsumer: 'settle',
  /** Stream of settlement outcomes, back to the orchestrator. */
  settledStream: 'DREX_SETTLED',
  settledSubject: 'drex.settled.v1.batch',
  settledConsumer: 'batch-settled',

  /** Advisory published by JetStream when a job exceeded its delivery limit. */
  maxDeliveriesAdvisory: (stream: string, consumer: string) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`,

  /** KV bucket of job expectations (what the planner expects each job to prove). */
  jobsBucket: 'drex_jobs',
  /** KV bucket of signed worker membership entries (expire unless refreshed). */
  membersBucket: 'drex_members',
  /** Object store of circuit artifacts, by content hash. */
  artifactsBucket: 'drex_artifacts',
} as const;
