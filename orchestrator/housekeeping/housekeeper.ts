import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { Reissuer } from '../reissue/reissuer.ts';
import type { BatchStore } from '../store/batch-store.ts';
import type { SplitBook } from '../witness/split-book.ts';
import type { WitnessQueue } from '../witness/witness-queue.ts';

export interface HousekeeperOptions {
  names: NatsNames;
  jsm: JetStreamManager;
  store: BatchStore;
  reissuer: Reissuer;
  log: Logger;
  /** How often it looks. */
  intervalMs: number;
  /**
   * A job that left the jobs stream (a worker acked or terminated it) without a verified proof is
   * re-issued after this long: time for its result to travel through intake and verdicts.
   */
  lostGraceMs: number;
  /** Last resort for a job whose stream position was never recorded: re-issued this long after publication. */
  jobTimeoutMs: number;
  /** Split proving: where each attempt's two half jobs sit in the jobs stream. */
  book?: SplitBook;
  /**
   * Split proving: the witness stage's queue. An attempt whose halves were never published and that the
   * queue no longer holds (failed for good, or lost before it was queued) is re-issued after `lostGraceMs`.
   */
  witness?: Pick<WitnessQueue, 'pending'>;
}

/**
 * Housekeeping: finds jobs of proving batches that can no longer produce a result and re-issues them.
 * A job still in the jobs stream is queued or in a worker's hands (JetStream redelivers it after its
 * ack wait, then dead-letters it), so it is left alone however long the queue is; a job gone from the
 * stream with no verified proof (terminated, or answered with a result that was lost) is re-issued, and
 * so is a split attempt whose halves the witness stage never published and never will.
 */
export class Housekeeper {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** When each job attempt was first seen gone from the stream, by job key. */
  private readonly goneSince = new Map<string, number>();

  constructor(private readonly o: HousekeeperOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = true;
      void this.sweep()
        .catch((e: unknown) => this.o.log.error('housekeeping sweep failed', { error: e }))
        .finally(() => (this.running = false));
    }, this.o.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Whether `key`'s condition, first seen now or earlier, has held for the lost-job grace time. */
  private lostFor(key: string, now: number): boolean {
    const since = this.goneSince.get(key) ?? now;
    this.goneSince.set(key, since);
    return now - since >= this.o.lostGraceMs;
  }

  /** Whether the jobs stream still holds message `seq` (getMessage answers null for a removed one). */
  private async inStream(seq: number): Promise<boolean> {
    return (await this.o.jsm.streams.getMessage(this.o.names.jobsStream, { seq })) !== null;
  }

  /** One pass over every proving batch. */
  async sweep(now = Date.now()): Promise<void> {
    const { store, reissuer, jsm } = this.o;
    const seen = new Set<string>();
    // Messages at or below the provers' ack floor are done for the consumer: one still in the stream
    // there ran out of deliveries (a dead letter whose advisory was missed).
    const ackFloor = (await jsm.consumers.info(this.o.names.jobsStream, this.o.names.proversConsumer)).ack_floor.stream_seq;
    for (const id of await store.open()) {
      const rec = await store.get(id);
      if (!rec || rec.state !== 'PROVING') continue;
      const plan = await store.plan(id);
      if (!plan || plan.version !== rec.planVersion) continue;
      const proved = new Set((await store.proofs(id)).map((p) => p.index));
      const attempts = await store.attempts(id);
      for (const t of plan.proofs) {
        if (proved.has(t.index)) continue;
        const a = attempts.get(t.index);
        if (!a?.enqueuedMs) continue;
        const key = `${id}.v${plan.version}.t${t.index}.a${a.attempt}`;
        seen.add(key);
        let lost: string | null = null;
        if (!a.seq && (await this.o.book?.refused(id, t.index, a.attempt))) {
          // The witness stage refused this attempt: another one, until the transfer runs out of attempts.
          this.o.log.warn('the witness stage refused a job: re-issuing it', { jobKey: key });
          await reissuer.reissue(id, plan.version, t.index, 'witness-refused');
          continue;
        }
        // A whole job has one message; a split attempt has two halves (once the witness stage published them).
        const seqs = a.seq ? [a.seq] : ((await this.o.book?.halfSeqs(id, t.index, a.attempt)) ?? []);
        if (seqs.length > 0) {
          const queued = [];
          for (const seq of seqs) if (await this.inStream(seq)) queued.push(seq);
          if (queued.some((seq) => seq > ackFloor)) continue;
          if (queued.length > 0) {
            for (const seq of queued) await jsm.streams.deleteMessage(this.o.names.jobsStream, seq).catch(() => false);
            lost = 'dead-letter';
          }
        }
        if (seqs.length > 0 && !lost) {
          if (this.lostFor(key, now)) lost = 'lost';
        } else if (seqs.length === 0 && this.o.witness && !(await this.o.witness.pending(key))) {
          // No halves recorded and none coming: the stage gave up on the attempt (or a kill came
          // between recording it and queueing it). Its halves may still be on their way to the book.
          const wkey = `${key}#witness`;
          seen.add(wkey);
          if (this.lostFor(wkey, now)) lost = 'witness-gone';
        } else if (seqs.length === 0 && now - a.enqueuedMs > this.o.jobTimeoutMs) {
          lost = 'timeout';
        }
        if (!lost) continue;
        this.o.log.warn('job left the queue without a verified proof: re-issuing it', { jobKey: key, reason: lost });
        this.goneSince.delete(key);
        await reissuer.reissue(id, plan.version, t.index, lost);
      }
    }
    for (const k of this.goneSince.keys()) if (!seen.has(k)) this.goneSince.delete(k);
  }
}
