import type { Address, Hex } from 'viem';
import { findSettlement, getCurrentRoot, settlementDifferences, type ChainReader } from '../../ledger-bridge/index.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { Metrics } from '../metrics.ts';
import type { FailBatch } from '../reissue/reissuer.ts';
import type { SettlementHandoff } from '../settlement/settlement-handoff.ts';
import type { BatchStore } from '../store/batch-store.ts';

export interface ReconcilerOptions {
  chain: ChainReader;
  settlement: Address;
  store: BatchStore;
  handoff: SettlementHandoff;
  failBatch: FailBatch;
  metrics: Metrics;
  log: Logger;
  /** How often every batch handed to settlement is checked against the chain. */
  intervalMs: number;
  /** Called after a batch became SETTLED. */
  onSettled: (batchId: string) => Promise<void>;
}

/** Where a batch handed to settlement stands against the chain. */
export type Resolution = 'settled' | 'diverged' | 'waiting' | 'handed-over' | 'not-verified';

/**
 * Reconciliation: resolves every batch handed to settlement (VERIFIED) against the chain, at start,
 * periodically, and whenever the settler reports one settled. The chain's record under the batch id is
 * compared with the plan (root_before, root_after, transfer count):
 * - it matches: SETTLED, with the transaction and block the chain names;
 * - it differs (another settlement holds the id): FAILED with SETTLEMENT_DIVERGED;
 * - none yet, and the chain is at the batch's root_before: handed over again if no hand-off is waiting
 *   (a hand-off that ran out of deliveries is never the end of a batch);
 * - none yet, the chain is elsewhere and no earlier batch is unsettled: nothing planned can bring the
 *   chain to its root_before, so FAILED with CHAIN_DIVERGED (an operator must look: the log line says why);
 * - otherwise it waits for its predecessor (its hand-off kept present).
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly o: ReconcilerOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.reconcileAll(), this.o.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over every open batch, in planning order. */
  async reconcileAll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const id of await this.o.store.open()) await this.resolve(id, { handOver: true });
    } catch (err) {
      this.o.log.warn('reconciliation pass failed; will try again', { error: err });
    } finally {
      this.running = false;
    }
  }

  /** Resolves one batch against the chain (see the class comment); `handOver` re-hands a waiting batch over. */
  async resolve(batchId: string, opts: { handOver?: boolean } = {}): Promise<Resolution> {
    const { store, chain, settlement, log, metrics } = this.o;
    const rec = await store.get(batchId);
    const plan = await store.plan(batchId);
    if (!rec || !plan || rec.state !== 'VERIFIED' || plan.version !== rec.planVersion) return 'not-verified';
    const expected = { rootBefore: BigInt(plan.roots[0]!), rootAfter: BigInt(plan.roots.at(-1)!), transfers: plan.transfers.length };
    // The root first, then the record: a record absent now was absent when the root was read.
    const current = await getCurrentRoot(chain, settlement);
    const record = await findSettlement(chain, settlement, batchId as Hex);
    if (record) {
      const diff = settlementDifferences(record, expected);
      if (diff.length > 0) {
        await this.diverged(batchId, rec.planVersion, ErrorCode.SETTLEMENT_DIVERGED, `the chain holds another settlement of this batch id (tx ${record.txHash}, block ${record.blockNumber}): ${diff.join('; ')}`);
        return 'diverged';
      }
      const r = await store.markSettled(batchId, rec.planVersion, {
        txHash: record.txHash,
        block: Number(record.blockNumber),
        message: `settled in block ${record.blockNumber} (aggregation root ${record.aggregationRoot.slice(0, 18)}..)`,
      });
      if (r.ok) {
        metrics.batchesFinished.inc({ state: 'SETTLED' });
        log.info('batch settled', { batchId, tx: record.txHash, block: Number(record.blockNumber) });
        await this.o.onSettled(batchId);
      }
      return 'settled';
    }
    if (current !== expected.rootBefore && (await this.isFirstUnsettled(batchId))) {
      await this.diverged(
        batchId,
        rec.planVersion,
        ErrorCode.CHAIN_DIVERGED,
        `the chain's note-tree root is ${current}, not this batch's planned root_before ${expected.rootBefore}, and no earlier batch is unsettled: something outside this deployment moved the root`,
      );
      return 'diverged';
    }
    if (opts.handOver && (await this.o.handoff.handOver(batchId))) {
      log.info('batch handed to settlement again (no hand-off was waiting)', { batchId, planVersion: rec.planVersion });
      return 'handed-over';
    }
    return 'waiting';
  }

  /** Whether every batch planned before this one is settled. */
  private async isFirstUnsettled(batchId: string): Promise<boolean> {
    for (const id of await this.o.store.open()) {
      if (id === batchId) return true;
      if ((await this.o.store.get(id))?.state !== 'SETTLED') return false;
    }
    return false;
  }

  private async diverged(batchId: string, planVersion: number, code: string, message: string): Promise<void> {
    this.o.metrics.settlementDivergences.inc({ code });
    this.o.log.error('batch diverged from the chain: failing it and re-planning the batches after it', { batchId, code, detail: message });
    await this.o.failBatch(batchId, code, message, planVersion);
    this.o.metrics.batchesFinished.inc({ state: 'FAILED' });
  }
}
