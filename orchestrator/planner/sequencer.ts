import type { Crypto } from '../../circuits/model/crypto.ts';
import { TransferRejectedError } from '../../circuits/model/errors.ts';
import { batchPublicSignals } from '../../circuits/model/batch-witness.ts';
import { intentNullifier } from '../../circuits/model/intent.ts';
import { Ledger } from '../../circuits/model/ledger.ts';
import { planBatches, type BatchParams } from '../../circuits/model/plan-batches.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { wireOfPoint } from '../../protocol/ledger-point.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { signedIntentOf } from '../api/validate-submit.ts';
import type { BatchStore, StoredPlan } from '../store/batch-store.ts';
import { LedgerDeltaMismatchError } from '../store/ledger-delta.ts';
import { checkpointOf, ledgerDelta } from './ledger-diff.ts';

export interface SequencerOptions {
  crypto: Crypto;
  store: BatchStore;
  /** k, the ledger's depths, the policy and the deployment's domain. */
  params: BatchParams;
  log: Logger;
  /** Called after a batch (version) is planned, to publish its jobs. */
  onPlanned: (batchId: string, planVersion: number) => Promise<void>;
}

/**
 * The single sequencer of the shielded ledger. It plans accepted batches one at a time, in submission
 * order, in proofs of k transfers, on top of the tip state (the state after the last planned batch).
 * Redis keeps one full snapshot, the final one (the state after the last final batch), and per open
 * batch only its ledger delta (leaves appended, nullifier-set keys inserted, notes created and spent);
 * the state before any open batch is the final
 * snapshot with the earlier open batches' deltas replayed, so when a batch fails every later unfinished
 * batch is re-planned from the state before it. Batches become final in planning order, and the final
 * snapshot moves over them.
 */
export class Sequencer {
  private tip: Ledger | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SequencerOptions) {}

  /** Runs `fn` after every earlier sequencer operation (one at a time, in call order). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  /**
   * The ledger state before open batch `upTo` (omitted: the tip, after every open batch): the final
   * snapshot with the deltas of the open batches before it replayed, checked against their roots.
   */
  private async stateBefore(upTo?: string): Promise<Ledger> {
    const { store, crypto, params } = this.o;
    const { snapshot, last } = await store.ledgerAfterOpen({ depth: params.depth, nullDepth: params.nullDepth, ...(upTo === undefined ? {} : { upTo }) });
    const ledger = Ledger.fromSnapshot(crypto, snapshot);
    const p = ledger.point;
    if (last && (String(p.noteRoot) !== last.noteRootAfter || String(p.nullRoot) !== last.nullRootAfter)) {
      throw new LedgerDeltaMismatchError(
        `replaying the open batches' ledger deltas gives note root ${p.noteRoot} and nullifier state ${p.nullRoot}, the last one planned ${last.noteRootAfter} and ${last.nullRootAfter}`,
      );
    }
    return ledger;
  }

  private async loadTip(): Promise<Ledger> {
    this.tip ??= await this.stateBefore();
    return this.tip;
  }

  /** Plans every accepted batch waiting in the queue. Returns how many it handled. */
  planPending(): Promise<number> {
    return this.serial(async () => {
      let n = 0;
      for (;;) {
        const head = await this.o.store.nextPending();
        if (!head) return n;
        await this.planOne(head, false);
        n++;
      }
    });
  }

  /** Plans `batchId` on the tip. `replan` bumps the version of an already planned batch. */
  private async planOne(batchId: string, replan: boolean): Promise<boolean> {
    const { store, crypto, params, log } = this.o;
    const rec = await store.get(batchId);
    if (!rec) {
      await store.dropPending(batchId);
      return false;
    }
    if (!replan && rec.state !== 'ACCEPTED') {
      // Planned before a restart: only the queue entry was left behind.
      await store.dropPending(batchId);
      return true;
    }
    const tip = await this.loadTip();
    const intents = await store.intents(batchId);
    const version = rec.planVersion + 1;
    const before = checkpointOf(tip);
    let plan;
    try {
      plan = planBatches(crypto, tip, params, intents.map((w) => ({ signed: signedIntentOf(w, params.domain) })));
    } catch (err) {
      if (!(err instanceof TransferRejectedError)) throw err;
      log.warn('batch refused at planning', { batchId, code: err.code, error: err.message });
      await store.fail(batchId, {
        eventCode: ErrorCode.PLANNING_FAILED,
        code: err.code,
        message: `planning refused: ${err.message}`,
        intentNullifiers: this.intentNullifiers(intents),
        planVersion: rec.planVersion,
        ...(replan ? {} : { planningRefused: true }),
      });
      return false;
    }
    const stored: StoredPlan = {
      version,
      points: plan.points.map((p) => wireOfPoint({ noteRoot: p.noteRoot, noteIndex: BigInt(p.noteIndex), nullRoot: p.nullRoot })),
      proofs: plan.proofs.map((p) => ({ index: p.index, input: p.input, publicSignals: batchPublicSignals(p.public), transfers: p.transfers.map((t) => t.index) })),
    };
    const planned = `${intents.length} transfers in ${stored.proofs.length} proofs of up to ${params.k}`;
    const done = await store.recordPlan(batchId, {
      plan: stored,
      delta: ledgerDelta(before, tip),
      replan,
      message: replan ? `re-planned (version ${version}) after an earlier batch failed: ${planned}` : `planned ${planned}`,
    });
    if (!done.ok) {
      // Another writer moved the batch on (or it was never plannable): this plan is not its plan.
      log.warn('plan not recorded', { batchId, version, refused: done.refused });
      this.tip = undefined;
      return false;
    }
    log.info('batch planned', { batchId, version, transfers: intents.length, proofs: stored.proofs.length });
    await this.o.onPlanned(batchId, version);
    return true;
  }

  private intentNullifiers(intents: { auth: { nk: string }; nonce: string }[]): string[] {
    return intents.map((w) => String(intentNullifier(this.o.crypto, BigInt(w.auth.nk), BigInt(w.nonce))));
  }

  /**
   * Marks `batchId` failed after planning (a job could not be proved, or settlement failed), gives its
   * intents back, and re-plans every later unfinished batch from the state before it. The failure and
   * the list of batches to re-plan are written in one step, so a restart resumes the re-planning
   * (`resume`) wherever it stopped; each re-plan is a compare-and-set on the batch's plan version, so
   * doing one twice is impossible.
   */
  failBatch(batchId: string, code: string, message: string, planVersion?: number): Promise<void> {
    return this.serial(async () => {
      const { store, log } = this.o;
      await this.resumeReplan();
      const rec = await store.get(batchId);
      if (!rec || rec.state === 'FAILED' || rec.state === 'SETTLED') return;
      const intents = await store.intents(batchId);
      for (;;) {
        const open = await store.open();
        const i = open.indexOf(batchId);
        const later = [];
        for (const id of i >= 0 ? open.slice(i + 1) : []) later.push({ id, version: (await store.get(id))?.planVersion ?? 0 });
        const failed = await store.failAndMarkReplan(batchId, {
          code,
          message,
          intentNullifiers: this.intentNullifiers(intents),
          later,
          ...(planVersion === undefined ? {} : { planVersion }),
        });
        if (!failed.ok && failed.refused === 'open-changed') continue;
        if (!failed.ok) {
          log.info('batch not failed: it moved on', { batchId, code, refused: failed.refused });
          return;
        }
        log.warn('batch failed', { batchId, code, error: message, replanning: later.length });
        break;
      }
      await this.resumeReplan();
    });
  }

  /** Finishes an unfinished re-planning (after a restart). Call before planning anything new. */
  resume(): Promise<void> {
    return this.serial(() => this.resumeReplan());
  }

  private async resumeReplan(): Promise<void> {
    const { store, log } = this.o;
    const marker = await store.replanMarker();
    if (!marker) return;
    for (const { id, version } of marker.later) {
      const r = await store.get(id);
      if (!r || r.state === 'FAILED' || r.state === 'SETTLED' || r.planVersion > version) continue;
      if (!(await store.open()).includes(id)) continue;
      // The state before it: the previous open batch's (already re-planned) state, or the final one.
      this.tip = await this.stateBefore(id);
      await this.planOne(id, true); // a transfer it can no longer make fails it (and takes it off the list)
    }
    await store.clearReplanMarker(marker.failed);
    this.tip = undefined;
    log.info('re-planning done', { failed: marker.failed, batches: marker.later.length });
  }

  /**
   * Moves the final snapshot forward over every batch at the head of the open list that is done
   * (in `doneStates`: VERIFIED without settlement, SETTLED with it).
   */
  finalizeHead(doneStates: readonly string[]): Promise<string[]> {
    return this.serial(() => this.o.store.finalizeHead(doneStates, this.o.params));
  }

  /** Forgets the in-memory tip (it is reloaded from Redis on next use). */
  reset(): void {
    this.tip = undefined;
  }
}
