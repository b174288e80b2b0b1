import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ObjectStore } from '@nats-io/obj';
import type { SealedObjectRef } from '../../protocol/messages/fields.ts';
import { gatewayShareObject } from '../../protocol/messages/half.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import { encodeSealed, sealTo } from '../../swarm/sealing/hpke-seal.ts';
import type { JobExpectationV1, JobV1 } from '../../protocol/messages/job.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { BatchStore } from '../store/batch-store.ts';
import type { Metrics } from '../metrics.ts';
import type { WitnessQueue } from '../witness/witness-queue.ts';

export interface DispatcherOptions {
  nc: NatsConnection;
  names: NatsNames;
  jobsKv: KV;
  store: BatchStore;
  /** sha256 of the proving key that jobs name. */
  artifact: string;
  log: Logger;
  metrics: Metrics;
  /**
   * Split proving: each attempt goes to the witness stage, which publishes its two half jobs. Without
   * it, each attempt is one whole job.
   */
  witness?: WitnessQueue;
  /** Whole jobs: their inputs are sealed to the job gateway's key (hex) and stored in the shares bucket. */
  gatewaySealKey: string;
  shares: ObjectStore;
}

/** The id of one attempt at proving proof `index` of a batch's plan `version`. */
export function jobIdOf(batchId: string, version: number, index: number, attempt: number): string {
  return `${batchId}.v${version}.t${index}.a${attempt}`;
}

/**
 * Publishes proving jobs (one transfer per job attempt) and records what each must prove in the jobs KV
 * bucket: in split proving, to the witness stage (which publishes the attempt's two half jobs); else as
 * one whole job on the JetStream work queue. Publishing is idempotent: the job id is the de-duplication id.
 */
export class Dispatcher {
  private readonly js: JetStreamClient;

  constructor(private readonly o: DispatcherOptions) {
    this.js = jetstream(o.nc);
  }

  /** PLANNED -> PROVING, then publishes every job of the batch's current plan that has no verified proof yet. */
  async dispatchBatch(batchId: string, planVersion: number): Promise<number> {
    const { store, log } = this.o;
    const rec = await store.get(batchId);
    if (!rec || rec.planVersion !== planVersion || (rec.state !== 'PLANNED' && rec.state !== 'PROVING')) return 0;
    const plan = await store.plan(batchId);
    if (!plan || plan.version !== planVersion) return 0;
    const proved = new Set((await store.proofs(batchId)).map((p) => p.index));
    const todo = plan.proofs.filter((t) => !proved.has(t.index));
    // PROVING first: a result that comes back at once finds the batch ready to take it (a kill before
    // the jobs are out is resumed by dispatching PROVING batches again).
    if (rec.state === 'PLANNED') await store.markProving(batchId, planVersion, todo.length);
    for (const t of todo) await this.publish(batchId, planVersion, t.index, await store.attempt(batchId, t.index), t.input, t.publicSignals);
    log.info('batch dispatched', { batchId, planVersion, jobs: todo.length });
    return todo.length;
  }

  /** Seals a whole job's inputs to the job gateway (bound to the job id) into the shares bucket. */
  private async sealInput(jobId: string, input: Record<string, unknown>): Promise<SealedObjectRef> {
    const plain = new TextEncoder().encode(JSON.stringify(input));
    const box = encodeSealed(await sealTo(this.o.gatewaySealKey, plain, new TextEncoder().encode(jobId)));
    plain.fill(0);
    const object = gatewayShareObject(jobId);
    await this.o.shares.putBlob({ name: object }, box);
    return { object, bytes: box.byteLength };
  }

  /** Publishes one job attempt and its expectation. */
  async publish(batchId: string, version: number, index: number, attempt: number, input: Record<string, unknown>, publicSignals: string[]): Promise<string> {
    const now = Date.now();
    const jobId = jobIdOf(batchId, version, index, attempt);
    const expectation: JobExpectationV1 = { v: 1, jobId, batchId, index, planVersion: version, attempt, artifact: this.o.artifact, publicSignals, enqueuedMs: now };
    await this.o.jobsKv.put(jobId, JSON.stringify(expectation));
    if (this.o.witness) {
      // The attempt now in flight; the witness stage records where its halves sit in the jobs stream.
      await this.o.store.recordAttempt(batchId, index, attempt, now);
      await this.o.witness.enqueue({ batchId, planVersion: version, index, attempt, proofId: jobId });
      this.o.metrics.jobsPublished.inc();
      return jobId;
    }
    const job: JobV1 = {
      v: 1,
      jobId,
      batchId,
      index,
      planVersion: version,
      attempt,
      circuit: 'transfer',
      artifact: this.o.artifact,
      sealed: await this.sealInput(jobId, input),
      enqueuedMs: now,
    };
    // The attempt now in flight and when it was published (re-issues count up from it).
    await this.o.store.recordAttempt(batchId, index, attempt, now);
    const ack = await this.js.publish(this.o.names.jobSubject('transfer'), JSON.stringify(job), { msgID: jobId });
    // Where it sits in the stream: while it is there it is queued or in a worker's hands.
    await this.o.store.recordJobSeq(batchId, index, attempt, ack.seq);
    this.o.metrics.jobsPublished.inc();
    return jobId;
  }
}
