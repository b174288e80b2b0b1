import type { Address, Hex } from 'viem';
import { findSettlement, getLedgerPoint, settlementDifferences, type ChainReader } from '../../ledger-bridge/client.ts';
import { describePoint, pointOfWire, samePoint } from '../../protocol/ledger-point.ts';
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
  /**
   * A batch that can settle now (the chain is at its root_before) and was handed over this long ago
   * without settling is handed over again (its hand-off may have run out of deliveries).
   */
  handoffTimeoutMs: number;
  /** Called after a batch became SETTLED. */
  onSettled: (batchId: string) => Promise<void>;
}

/** Where a batch handed to settlement stands against the chain. */
export type Resolution = 'settled' | 'diverged' | 'waiting' | 'handed-over' | 'not-verified';

/** Whether to hand a batch that can settle now over: `now` (fresh proofs), `if-stale` (none recent), `no`. */
export type HandOver = 'now' | 'if-stale' | 'no';

/**
 * Reconciliation: resolves every batch handed to settlement (VERIFIED) against the chain, at start,
 * periodically, and whenever the settler reports one settled. The chain's record under the batch id is
 * compared with the plan (the note root it starts from, the ledger point it ends at, the transfer count):
 * - it matches: SETTLED, with the transaction and block the chain names;
 * - it differs (another settlement holds the id): FAILED with SETTLEMENT_DIVERGED;
 * - none yet, and the chain is at the batch's first ledger point: it can settle now, so it is handed over (again,
 *   when the last hand-off is older than `handoffTimeoutMs`: a hand-off that ran out of deliveries or
 *   ack windows is never the end of a batch);
 * - none yet, the chain is elsewhere and no earlier batch is unsettled: nothing planned can bring the
 *   chain to its first point, so FAILED with CHAIN_DIVERGED (an operator must look: the log line says why);
 * - otherwise it waits for its predecessor; when that one settles, this one is resolved (and handed over).
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
      for (const id of await this.o.store.open()) await this.resolve(id, 'if-stale');
    } catch (err) {
      this.o.log.warn('reconciliation pass failed; will try again', { error: err });
    } finally {
      this.running = false;
    }
  }

  /** Resolves one batch against the chain (see the class comment). */
  async resolve(batchId: string, handOver: HandOver = 'no'): Promise<Resolution> {
    const { store, chain, settlement, log, metrics } = this.o;
    const rec = await store.get(batchId);
    const plan = await store.plan(batchId);
    if (!rec || !plan || rec.state !== 'VERIFIED' || plan.version !== rec.planVersion) return 'not-verified';
    const before = pointOfWire(plan.points[0]!);
    const expected = { noteRootBefore: before.noteRoot, after: pointOfWire(plan.points.at(-1)!), transfers: rec.transfers };
    // The state first, then the record: a record absent now was absent when the state was read.
    const current = await getLedgerPoint(chain, settlement);
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
        aggregationRoot: record.aggregationRoot,
        message: `settled in block ${record.blockNumber} (aggregation root ${record.aggregationRoot.slice(0, 18)}..)`,
      });
      if (r.ok) {
        metrics.batchesFinished.inc({ state: 'SETTLED' });
        log.info('batch settled', { batchId, tx: record.txHash, block: Number(record.blockNumber) });
        this.o.handoff.forget(batchId);
        await this.o.onSettled(batchId);
        await this.resolveNext();
      }
      return 'settled';
    }
    if (samePoint(current, before)) {
      const last = this.o.handoff.last(batchId);
      const stale = !last || Date.now() - last.atMs >= this.o.handoffTimeoutMs;
      if (handOver === 'now' || (handOver === 'if-stale' && stale)) {
        await this.o.handoff.handOver(batchId);
        if (last) log.warn('batch handed to settlement again: the last hand-off did not settle it', { batchId, planVersion: rec.planVersion, lastMs: Date.now() - last.atMs });
        return 'handed-over';
      }
      return 'waiting';
    }
    if (await this.isFirstUnsettled(batchId)) {
      await this.diverged(
        batchId,
        rec.planVersion,
        ErrorCode.CHAIN_DIVERGED,
        `the chain's ledger is at ${describePoint(current)}, not where this batch was planned to start (${describePoint(before)}), and no earlier batch is unsettled: something outside this deployment moved it`,
      );
      return 'diverged';
    }
    return 'waiting';
  }

  /** After a batch settled: the first unsettled open batch can settle now if it is verified. */
  private async resolveNext(): Promise<void> {
    for (const id of await this.o.store.open()) {
      const state = (await this.o.store.get(id))?.state;
      if (state === 'SETTLED') continue;
      if (state === 'VERIFIED') await this.resolve(id, 'if-stale');
      return;
    }
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
    this.o.handoff.forget(batchId);
    await this.o.failBatch(batchId, code, message, planVersion);
    this.o.metrics.batchesFinished.inc({ state: 'FAILED' });
  }
}
