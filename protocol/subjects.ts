import { DrexError } from './errors.ts';

/** The deployment whose names a process uses when none is configured. */
export const DEFAULT_DEPLOYMENT = 'dev';

/** A deployment id that cannot name streams, subjects and buckets. */
export class DeploymentIdError extends DrexError {
  override name = 'DeploymentIdError';
  readonly code = 'DEPLOYMENT_ID_INVALID';
}

const DEPLOYMENT_ID = /^[a-z0-9][a-z0-9-]{0,47}$/;

/** The deployment id of a settlement contract on a chain: `c<chainId>-<first 8 hex digits of its address>`. */
export function deploymentOfLedger(chainId: number, settlement: string): string {
  return checkDeployment(`c${chainId}-${settlement.slice(2, 10).toLowerCase()}`);
}

/** Checks a deployment id: 1 to 48 of [a-z0-9-], starting with a letter or digit. */
export function checkDeployment(id: string): string {
  if (!DEPLOYMENT_ID.test(id)) throw new DeploymentIdError(`deployment id must be 1-48 characters of [a-z0-9-] starting with a letter or digit, got ${JSON.stringify(id)}`);
  return id;
}

/**
 * NATS names of one deployment's proving pipeline. Every stream, subject, consumer and bucket carries
 * the deployment id, so deployments (or runs) sharing a NATS server never see each other's messages;
 * every subject carries its message schema version (`v1`).
 */
/** An operator name as one subject token: the hex of its UTF-8 bytes (names may hold dots). */
export function operatorToken(operator: string): string {
  return Array.from(new TextEncoder().encode(operator), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function natsNames(deployment: string) {
  const d = checkDeployment(deployment);
  const S = d.toUpperCase().replace(/-/g, '_');
  const b = d.replace(/-/g, '_');
  return {
    deployment: d,
    /** Work-queue stream of proving jobs; each job is consumed by exactly one worker. */
    jobsStream: `DREX_${S}_JOBS`,
    /** Subject of transfer-proof jobs. */
    jobSubject: (circuit: string) => `drex.${d}.jobs.v1.${circuit}`,
    jobSubjects: `drex.${d}.jobs.v1.>`,
    /** Subject of half jobs (split proving: one half of a transfer's secret-shared MSMs each). */
    halfJobSubject: `drex.${d}.jobs.v1.half`,
    /** Durable pull consumer shared by every prover. */
    proversConsumer: 'provers',

    /** Stream of signed results from workers. */
    resultsStream: `DREX_${S}_RESULTS`,
    resultSubject: (batchId: string) => `drex.${d}.results.v1.${batchId}`,
    resultSubjects: `drex.${d}.results.v1.>`,
    /** Durable consumer of the aggregator's result intake. */
    intakeConsumer: 'intake',

    /** Stream of the aggregator's verdicts on results. */
    verdictsStream: `DREX_${S}_VERDICTS`,
    verdictSubject: (batchId: string) => `drex.${d}.verdicts.v1.${batchId}`,
    verdictSubjects: `drex.${d}.verdicts.v1.>`,
    /** Durable consumer of the orchestrator's batch state. */
    stateConsumer: 'batch-state',

    /** Stream of batches whose every proof is verified, for settlement; one subject per batch. */
    readyStream: `DREX_${S}_READY`,
    readySubject: (batchId: string) => `drex.${d}.ready.v1.${batchId}`,
    readySubjects: `drex.${d}.ready.v1.>`,
    settleConsumer: 'settle',
    /** Stream of settlement outcomes, back to the orchestrator. */
    settledStream: `DREX_${S}_SETTLED`,
    settledSubject: `drex.${d}.settled.v1.batch`,
    settledConsumer: 'batch-settled',

    /** Job gateway (request/reply, queue group `gateway`): the only client of the `provers` consumer. */
    workTake: `drex.${d}.work.v1.take`,
    workProgress: `drex.${d}.work.v1.progress`,
    workRelease: `drex.${d}.work.v1.release`,
    /** Queue group of the job gateway's subscriptions: any aggregator replica serves any request. */
    gatewayQueue: 'gateway',

    /** Advisory published by JetStream when a job exceeded its delivery limit. */
    maxDeliveriesAdvisory: (stream: string, consumer: string) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`,

    /** Membership gossip (swarm/membership/gossip.ts): deltas of signed member entries, broadcast to every replica. */
    membersDelta: `drex.${d}.members.v1.delta`,
    /** Membership anti-entropy: each replica answers digest exchanges (request/reply) on its own subject... */
    membersSync: (replicaId: string) => `drex.${d}.members.v1.sync.${replicaId}`,
    /** ...and, in queue group `members`, on a shared one that a replica knowing no peer yet asks. */
    membersSyncAny: `drex.${d}.members.v1.sync`,
    membersQueue: 'members',
    /**
     * A worker's own entries, on a subject only that worker may publish to, naming the operator it was
     * admitted under (hex of its UTF-8 name): its NATS permissions allow this one subject, so the server
     * enforces both who the worker is and whose it is; every replica takes the entries in from there. A
     * request here is answered by each replica that took the entry in.
     */
    membersAnnounce: (workerId: string, operator: string) => `drex.${d}.members.v1.announce.${workerId}.${operatorToken(operator)}`,
    membersAnnounceAll: `drex.${d}.members.v1.announce.*.*`,
    /**
     * A TEE worker's attestation: a request (`{v:1, nonce}`) answered with a fresh attestation document
     * binding the worker's seal key and the nonce (worker/tee/attestation-responder.ts).
     */
    attestRequest: (workerId: string) => `drex.${d}.attest.v1.${workerId}`,
    /** Every membership subject (delta, shared and per-replica sync, announcements). */
    membersSubjects: `drex.${d}.members.v1.>`,

    /** KV bucket of job expectations (what the planner expects each job to prove). */
    jobsBucket: `drex_${b}_jobs`,
    /** KV bucket of job leases: who holds each job's current delivery (see protocol/messages/work.ts). */
    leasesBucket: `drex_${b}_leases`,
    /** KV bucket of split records: who holds each half of a proof attempt (protocol/messages/half.ts). */
    splitsBucket: `drex_${b}_splits`,
    /** KV bucket of answered halves awaiting their sibling, and of each proof attempt's decision (the aggregator's combiner). */
    halvesBucket: `drex_${b}_halves`,
    /** Object store of sealed shares: sealed to the job gateway by the witness generator, re-sealed to the taker by the gateway. */
    sharesBucket: `drex_${b}_shares`,
    /** Object store of circuit artifacts, by content hash. */
    artifactsBucket: `drex_${b}_artifacts`,
  } as const;
}

export type NatsNames = ReturnType<typeof natsNames>;
