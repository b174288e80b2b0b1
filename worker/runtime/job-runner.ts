import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { JobV1 } from '../../protocol/messages/job.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import type { ProofResult, ProverArtifacts } from '../prover/groth16-prover.ts';
import type { ArtifactCache } from './artifact-cache.ts';
import type { Delivery } from './delivery.ts';
import { runHalfJob, type HalfProver } from './half-job-runner.ts';
import type { JobFailureReason, WorkerMetrics } from './metrics.ts';
import { decodeJob } from './job-decoder.ts';
import type { ProvingKeyCache } from './proving-key-cache.ts';
import { signedResult } from './signed-result.ts';
import type { WorkerFault } from './worker-fault.ts';

/** Proves one job's inputs with an artifact set (a thread pool, a Web Worker, an enclave...). */
export interface JobProver {
  prove(artifactHash: string, artifacts: ProverArtifacts, input: JobV1['input']): Promise<ProofResult>;
}

/** What running a job needs. */
export interface JobContext {
  names: NatsNames;
  identity: Identity;
  js: JetStreamClient;
  artifacts: ArtifactCache;
  prover: JobProver;
  /** Computes the MSMs of half jobs. */
  halfProver: HalfProver;
  /** Proving keys read from the artifact cache's sets (half jobs). */
  provingKeys: ProvingKeyCache;
  /** The shares object store: half jobs' scalars, sealed to the worker that takes them. */
  shares: ObjectStore;
  /** This worker's X25519 key pair, which its shares are sealed to; generated at start, kept in memory only. */
  sealKey: SealKeyPair;
  /** For testing the swarm's defences: misbehave as told. */
  fault?: WorkerFault;
  metrics: WorkerMetrics;
  log: Logger;
  /** Interval of in-progress signals while the job is in hand; default a third of the delivery's ack wait. */
  workingIntervalMs?: number;
  /** Delay before a job nak'ed for a retryable failure (bad artifact, publish failure) is redelivered. */
  retryDelayMs: number;
  /** Called with each job's proving time once its result is acknowledged by JetStream. */
  onProved?: (provingMs: number) => void;
}

/** A job in hand; the runtime sets `abandoned` when it nak'ed the job at a drain timeout. */
export interface JobInHand {
  delivery: Delivery;
  abandoned: boolean;
}

/** How a job ended for this worker: a whole job proved, a half job answered, or why neither. */
export type JobOutcome = 'proved' | 'answered' | JobFailureReason;

const errCode = (err: unknown): string | undefined => (err as { code?: unknown })?.code as string | undefined;

/**
 * Runs one delivered job: validate (malformed: term); a half job goes to runHalfJob; a whole job: fetch artifacts
 * (bad: nak with delay), prove with in-progress signals (witness refused: term; other failure: nak with
 * delay), sign and publish the result (with its lease id) with JetStream de-duplication id
 * `jobId:workerId`, and only once the result is stored ack the job. A job is never dropped unanswered:
 * every way out is a result, a nak or a termination with a reason; a job whose lease was lost (the
 * gateway gave it to another worker) is left to its new holder. Never throws.
 */
export async function runJob(hand: JobInHand, ctx: JobContext): Promise<JobOutcome> {
  const d = hand.delivery;
  const startedMs = Date.now();
  const fail = (reason: JobFailureReason): JobOutcome => {
    ctx.metrics.jobsFailed.inc({ reason });
    return reason;
  };
  const decoded = decodeJob(d.data);
  if (!decoded.ok) {
    ctx.log.warn('malformed job terminated', { leaseId: d.leaseId, reason: decoded.reason });
    d.term(`malformed job: ${decoded.reason}`);
    return fail('malformed');
  }
  if (decoded.kind === 'half') return runHalfJob(hand, decoded.job, ctx);
  const job = decoded.job;
  const log = ctx.log.child({ jobId: job.jobId, batchId: job.batchId, index: job.index, delivery: d.deliveryCount, leaseId: d.leaseId });
  log.info('job started');
  const working = setInterval(() => {
    if (!hand.abandoned && !d.lost) d.working();
  }, ctx.workingIntervalMs ?? Math.max(200, Math.floor(d.ackWaitMs / 3)));
  try {
    let artifacts: ProverArtifacts;
    try {
      artifacts = await ctx.artifacts.get(job.artifact);
    } catch (err) {
      log.error('artifact set refused: job nak\'ed for later', { artifact: job.artifact, err: err as Error });
      if (!hand.abandoned) d.nak(ctx.retryDelayMs);
      return fail('artifact');
    }
    let proof: ProofResult;
    try {
      proof = await ctx.prover.prove(job.artifact, artifacts, job.input);
    } catch (err) {
      if (hand.abandoned) return fail('abandoned');
      if (errCode(err) === 'WITNESS_FAILED') {
        log.warn('the circuit refuses the job\'s inputs: job terminated', { err: err as Error });
        d.term(`witness refused: ${(err as Error).message}`);
        return fail('witness');
      }
      log.error('proving failed: job nak\'ed for later', { err: err as Error });
      d.nak(ctx.retryDelayMs);
      return fail('prover');
    }
    if (hand.abandoned) return fail('abandoned');
    if (d.lost) {
      log.warn('lease lost while proving (the job went to another worker): result not published');
      return fail('lease_lost');
    }
    const finishedMs = Date.now();
    let data: string;
    try {
      data = JSON.stringify(signedResult(ctx.identity, job, d.leaseId, proof, startedMs, finishedMs));
    } catch (err) {
      log.error('the prover produced an invalid result: job terminated', { err: err as Error });
      d.term(`invalid prover output: ${(err as Error).message}`);
      return fail('prover');
    }
    try {
      await ctx.js.publish(ctx.names.resultSubject(job.batchId), data, { msgID: `${job.jobId}:${ctx.identity.id}` });
    } catch (err) {
      log.error('result not stored by JetStream: job nak\'ed for later', { err: err as Error });
      if (!hand.abandoned) d.nak(ctx.retryDelayMs);
      return fail('publish');
    }
    clearInterval(working);
    try {
      await d.ack();
    } catch (err) {
      // The result is stored and its lease current until it is delivered again; a redelivery is proved again.
      log.warn('job ack not confirmed after its result was stored', { err: err as Error });
    }
    const provingMs = proof.witnessMs + proof.proveMs;
    ctx.metrics.jobsProved.inc();
    ctx.metrics.proveSeconds.observe(provingMs / 1000);
    ctx.onProved?.(provingMs);
    log.info('job proved', { witnessMs: Math.round(proof.witnessMs), proveMs: Math.round(proof.proveMs), totalMs: finishedMs - startedMs });
    return 'proved';
  } finally {
    clearInterval(working);
  }
}
