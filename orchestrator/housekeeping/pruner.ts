import type { JetStreamManager } from '@nats-io/jetstream';
import { kvStream, kvSubject } from '../../protocol/nats-topology.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { BatchRecord, BatchStore } from '../store/batch-store.ts';

export interface PrunerOptions {
  store: BatchStore;
  jsm: JetStreamManager;
  names: NatsNames;
  log: Logger;
  /** A final batch is pruned this long after it became final (and left the open list). */
  retentionMs: number;
  /** The states in which a batch is final here (FAILED and SETTLED; VERIFIED too when nothing settles). */
  finalStates: readonly string[];
  /** How often it looks. */
  intervalMs: number;
  /** Batches pruned per pass at most (the next pass goes on). Default 200. */
  perPass?: number;
  /** Removes what other stages keep of a final batch (the dispatch queue's finished jobs), before it is pruned. */
  forget?: (batchId: string, planVersion: number) => Promise<void>;
}

/**
 * Retention: prunes every batch final for longer than `retentionMs` down to its audit record. First
 * what the batch left in NATS (its job expectations in the jobs KV bucket, its jobs still queued, its
 * unconsumed results, verdicts and hand-offs), then its Redis data in one fenced, atomic step of the
 * BatchStore. Each step is idempotent, so a kill between them is finished by the next pass; a batch
 * that is not final, or still on the open list, is never touched.
 */
export class Pruner {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private listedOlder = false;

  constructor(private readonly o: PrunerOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = true;
      void this.pass()
        .catch((e: unknown) => this.o.log.error('pruning pass failed; will try again', { error: e }))
        .finally(() => (this.running = false));
    }, this.o.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass: prunes batches final since `now - retentionMs` or earlier. Returns how many it pruned. */
  async pass(now = Date.now()): Promise<number> {
    const { store, finalStates, log } = this.o;
    if (!this.listedOlder) {
      const listed = await store.listUnlistedFinal(finalStates);
      if (listed > 0) log.info('final batches of an older version listed for pruning', { batches: listed });
      this.listedOlder = true;
    }
    const cutoff = now - this.o.retentionMs;
    let pruned = 0;
    for (const id of await store.finishedBefore(cutoff, this.o.perPass ?? 200)) {
      const rec = await this.finalRecord(id);
      if (rec) {
        await this.purgeMessages(id);
        await this.o.forget?.(id, rec.planVersion);
      }
      const out = await store.prune(id, finalStates, cutoff, now);
      if (out === 'pruned') pruned++;
      else if (out !== 'already' && out !== 'too-young') log.warn('batch listed as final not pruned', { batchId: id, reason: out });
    }
    if (pruned > 0) log.info('batches pruned to their audit records', { batches: pruned, retentionMs: this.o.retentionMs });
    return pruned;
  }

  /** Final, not yet pruned and off the open list and the planning queue: nothing will read its messages. */
  private async finalRecord(id: string): Promise<BatchRecord | null> {
    const { store, finalStates } = this.o;
    const rec = await store.get(id);
    if (!rec || rec.prunedMs || !finalStates.includes(rec.state)) return null;
    if ((await store.open()).includes(id) || (await store.pending()).includes(id)) return null;
    return rec;
  }

  /** Deletes what the batch left in JetStream: expectations, queued jobs, results, verdicts, hand-offs. */
  private async purgeMessages(id: string): Promise<void> {
    const { jsm, names, store } = this.o;
    await jsm.streams.purge(kvStream(names.jobsBucket), { filter: kvSubject(names.jobsBucket, `${id}.>`) });
    for (const a of (await store.attempts(id)).values()) {
      if (!a.seq) continue;
      const m = await jsm.streams.getMessage(names.jobsStream, { seq: a.seq });
      // A stream sequence names this batch's job only while the stream is the one it was published to.
      if (m && jobBatchOf(m.data) === id) await jsm.streams.deleteMessage(names.jobsStream, a.seq).catch(() => false);
    }
    await jsm.streams.purge(names.resultsStream, { filter: names.resultSubject(id) });
    await jsm.streams.purge(names.verdictsStream, { filter: names.verdictSubject(id) });
    await jsm.streams.purge(names.readyStream, { filter: names.readySubject(id) });
  }
}

/** The batch a stored job message names ('' when it is not a job). */
function jobBatchOf(data: Uint8Array): string {
  try {
    const b = (JSON.parse(new TextDecoder().decode(data)) as { batchId?: unknown }).batchId;
    return typeof b === 'string' ? b : '';
  } catch {
    return '';
  }
}
