import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { Metrics } from '../metrics.ts';
import type { BatchStore } from '../store/batch-store.ts';

/** Fails a planned batch and re-plans the ones after it (the sequencer's `failBatch`). */
export type FailBatch = (batchId: string, code: string, message: string, planVersion?: number) => Promise<void>;

export interface ReissuerOptions {
  store: BatchStore;
  dispatcher: Dispatcher;
  failBatch: FailBatch;
  metrics: Metrics;
  log: Logger;
  /** Attempts per transfer before the batch fails. */
  maxAttempts: number;
}

/**
 * Re-issue: publishes the next attempt of a job of a proving batch (a rejected result, a dead letter,
 * a lost job, a proof batch verification refused), or fails the batch once a transfer ran out of attempts.
 */
export class Reissuer {
  constructor(private readonly o: ReissuerOptions) {}

  /** Publishes the next attempt of proof `index` of plan `version`, if the batch still proves that plan. */
  async reissue(batchId: string, version: number, index: number, reason: string): Promise<void> {
    const { store, dispatcher, metrics } = this.o;
    const plan = await store.plan(batchId);
    const t = plan?.proofs.find((x) => x.index === index);
    if (!plan || plan.version !== version || !t) return;
    const rec = await store.get(batchId);
    if (!rec || rec.state !== 'PROVING' || rec.planVersion !== version) return; // only a proving batch re-issues
    if (await store.hasProof(batchId, index)) return; // proved meanwhile
    // Every published job recorded its attempt first, so this is the next one.
    const next = await store.nextAttempt(batchId, index);
    if (next > this.o.maxAttempts) {
      await this.o.failBatch(batchId, ErrorCode.PROVING_FAILED, `proof ${index} could not be made in ${this.o.maxAttempts} attempts (last: ${reason})`, version);
      metrics.batchesFinished.inc({ state: 'FAILED' });
      return;
    }
    metrics.jobsReissued.inc({ reason: reason.split(':')[0] });
    await store.noteReissue(batchId, version, index, next, reason);
    await dispatcher.publish(batchId, version, index, next, t.input, t.publicSignals);
  }
}
