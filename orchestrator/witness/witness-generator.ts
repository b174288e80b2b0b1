import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { DrexError } from '../../protocol/errors.ts';
import { gatewayShareObject, halfJobId, type HalfJobV1, type SplitRecordV1 } from '../../protocol/messages/half.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import { randomSeed, splitMsmScalars, witnessStage, type ProvingKey } from '../../prover/index.ts';
import { encodeHalfScalars } from '../../prover/share-codec.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { encodeSealed, sealTo } from '../../swarm/sealing/hpke-seal.ts';
import type { BatchStore } from '../store/batch-store.ts';
import type { SplitBook } from './split-book.ts';

/** One proof attempt to prepare: proof `index` of plan `planVersion`, attempt `attempt`. */
export interface WitnessTask {
  batchId: string;
  planVersion: number;
  index: number;
  attempt: number;
  /** The attempt's job id: the proof's id, and the stem of its half jobs' ids. */
  proofId: string;
}

/** The witness's public signals are not the ones the planner expects: the plan and the circuit disagree. */
export class WitnessMismatchError extends DrexError {
  override name = 'WitnessMismatchError';
  readonly code = 'WITNESS_MISMATCH';
}

export interface WitnessGeneratorOptions {
  nc: NatsConnection;
  names: NatsNames;
  store: BatchStore;
  book: SplitBook;
  splits: KV;
  shares: ObjectStore;
  /** The job gateway's seal public key (hex): shares are sealed to it. */
  gatewaySealKey: string;
  /** sha256 of the proving key (named by the half jobs). */
  artifact: string;
  pk: ProvingKey;
  wasm: Uint8Array;
  /** How long one worker may hold a half. */
  halfDeadlineMs: number;
  log: Logger;
}

/** What one prepared attempt cost, in ms. */
export interface WitnessTimings {
  witnessMs: number;
  quotientMs: number;
  shareMs: number;
  publishMs: number;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * The witness generator (trusted, bank-operated; any number of replicas): for one proof attempt it
 * computes the witness and the quotient polynomial's values from the plan's inputs, splits both into two
 * additive shares (seeded per attempt, so a retry re-creates the same shares), seals each share to the
 * job gateway bound to its half job's id, stores it in the shares bucket, opens the attempt's split record
 * and publishes the two half jobs (de-duplicated by id).
 * An attempt that is no longer current is skipped. Nothing it handles in clear leaves the process.
 */
export class WitnessGenerator {
  private readonly js: JetStreamClient;

  constructor(private readonly o: WitnessGeneratorOptions) {
    this.js = jetstream(o.nc);
  }

  /** Prepares and publishes one attempt; null when the attempt is no longer current. */
  async generate(t: WitnessTask): Promise<WitnessTimings | null> {
    const { store, book, pk } = this.o;
    const rec = await store.get(t.batchId);
    if (!rec || rec.state !== 'PROVING' || rec.planVersion !== t.planVersion) return null;
    if ((await store.attempt(t.batchId, t.index)) !== t.attempt || (await store.hasProof(t.batchId, t.index))) return null;
    const plan = await store.plan(t.batchId);
    const transfer = plan?.proofs.find((x) => x.index === t.index);
    if (!plan || plan.version !== t.planVersion || !transfer) return null;

    const w = await witnessStage(pk, this.o.wasm, transfer.input);
    const mismatch = transfer.publicSignals.findIndex((s, i) => s !== w.publicSignals[i]);
    if (mismatch >= 0 || w.publicSignals.length !== transfer.publicSignals.length) {
      throw new WitnessMismatchError(`the witness of proof ${t.index} of batch ${t.batchId} does not prove the planned public signal ${mismatch}`);
    }
    const t0 = performance.now();
    const seed = await book.seed(t.proofId, randomSeed());
    const halves = splitMsmScalars(w, seed);
    w.witness.fill(0);
    w.quotient.fill(0);
    const boxes: Uint8Array[] = [];
    for (const h of [0, 1] as const) {
      const plain = encodeHalfScalars(halves[h]);
      boxes.push(encodeSealed(await sealTo(this.o.gatewaySealKey, plain, utf8(halfJobId(t.proofId, h)))));
      plain.fill(0);
      halves[h].witness.fill(0);
      halves[h].quotient.fill(0);
    }
    seed.fill(0);
    const t1 = performance.now();
    await this.openSplitRecord(t);
    const now = Date.now();
    const seqs: number[] = [];
    for (const h of [0, 1] as const) {
      const jobId = halfJobId(t.proofId, h);
      const object = gatewayShareObject(jobId);
      await this.o.shares.putBlob({ name: object }, boxes[h]!);
      const job: HalfJobV1 = {
        v: 1,
        kind: 'half',
        jobId,
        proofId: t.proofId,
        half: h,
        batchId: t.batchId,
        index: t.index,
        planVersion: t.planVersion,
        attempt: t.attempt,
        circuit: 'transfer',
        artifact: this.o.artifact,
        share: { object, bytes: boxes[h]!.byteLength },
        deadlineMs: this.o.halfDeadlineMs,
        enqueuedMs: now,
      };
      const ack = await this.js.publish(this.o.names.halfJobSubject, JSON.stringify(job), { msgID: jobId });
      seqs.push(ack.seq);
    }
    await book.recordHalfSeqs(t.batchId, t.index, t.attempt, [seqs[0]!, seqs[1]!]);
    const timings = { witnessMs: w.timings.witnessMs, quotientMs: w.timings.quotientMs, shareMs: t1 - t0, publishMs: performance.now() - t1 };
    this.o.log.info('proof attempt split into two halves', { proofId: t.proofId, shareBytes: boxes[0]!.byteLength, ...roundAll(timings) });
    return timings;
  }

  /** Creates the attempt's split record (kept as it is when a retried stage finds it). */
  private async openSplitRecord(t: WitnessTask): Promise<void> {
    const record: SplitRecordV1 = { v: 1, proofId: t.proofId, holders: [[], []], operators: [[], []] };
    await this.o.splits.create(t.proofId, JSON.stringify(record)).catch(() => {});
  }
}

function roundAll(t: WitnessTimings): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]));
}
