import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { consumeMessages, type ConsumeLoop } from '../../protocol/consume-messages.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { batchSettledV1, type BatchReadyV1, type BatchSettledV1 } from '../../protocol/messages/settlement.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { Metrics } from '../metrics.ts';
import type { FailBatch, Reissuer } from '../reissue/reissuer.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { aggregatorSigned } from '../verdicts/aggregator-signed.ts';

export interface SettlementHandoffOptions {
  nc: NatsConnection;
  names: NatsNames;
  jsm: JetStreamManager;
  store: BatchStore;
  reissuer: Reissuer;
  failBatch: FailBatch;
  metrics: Metrics;
  log: Logger;
  /** Public keys (hex) of the aggregators whose signed settlement outcomes count; any other is dropped. */
  aggregatorKeys: readonly string[];
  /** sha256 of the proving key (names the verification key the settler uses). */
  artifact: string;
  /** The deployment's domain (the settler checks every proof carries it). */
  domain: bigint;
  /** Resolves a batch the settler reports settled against the chain (the reconciler). */
  resolve: (batchId: string) => Promise<void>;
}

/**
 * Settlement hand-off: gives verified batches (proofs and the chain of ledger points) to the settler on
 * `drex.ready.v1.<batch>` when the reconciler says they can settle, and takes its outcomes back. A success is not taken on the settler's word:
 * the reconciler checks the chain's record against the plan. Bad proofs are proved again; a batch the
 * ledger can never take fails with a code (and the batches after it are re-planned).
 */
export class SettlementHandoff {
  private readonly js: JetStreamClient;
  private loop: ConsumeLoop | undefined;
  private readonly handedOver = new Map<string, { atMs: number; seq: number }>();

  constructor(private readonly o: SettlementHandoffOptions) {
    this.js = jetstream(o.nc);
  }

  async start(): Promise<void> {
    this.loop = await consumeMessages(await this.js.consumers.get(this.o.names.settledStream, this.o.names.settledConsumer), {
      schema: batchSettledV1,
      handle: (s) => this.onOutcome(s),
      log: this.o.log,
      what: 'settlement outcome',
      maxMessages: 16,
      ...aggregatorSigned(this.o.aggregatorKeys, this.o.metrics, 'settlement outcome'),
    });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /** When this process last handed the batch over (none: not since it started). */
  last(batchId: string): { atMs: number; seq: number } | undefined {
    return this.handedOver.get(batchId);
  }

  /**
   * Hands a VERIFIED batch (its current proofs) to the settler, replacing the hand-off this process
   * made before (still waiting, in a settler's hands, or out of deliveries). Answers whether it published.
   */
  async handOver(batchId: string): Promise<boolean> {
    const { store } = this.o;
    const [rec, plan, proofs] = await Promise.all([store.get(batchId), store.plan(batchId), store.proofs(batchId)]);
    if (!rec || !plan || rec.state !== 'VERIFIED' || plan.version !== rec.planVersion) return false;
    const ready: BatchReadyV1 = {
      v: 1,
      batchId,
      planVersion: rec.planVersion,
      artifact: this.o.artifact,
      points: plan.points,
      domain: String(this.o.domain),
      items: proofs.map((p) => ({ index: p.index, proof: p.proof as BatchReadyV1['items'][number]['proof'], publicSignals: p.publicSignals })),
    };
    const before = this.handedOver.get(batchId);
    if (before) await this.o.jsm.streams.deleteMessage(this.o.names.readyStream, before.seq).catch(() => false);
    const ack = await this.js.publish(this.o.names.readySubject(batchId), JSON.stringify(ready));
    this.handedOver.set(batchId, { atMs: Date.now(), seq: ack.seq });
    await store.noteHandedOver(batchId, rec.planVersion);
    return true;
  }

  /** Forgets a batch that reached a final state. */
  forget(batchId: string): void {
    this.handedOver.delete(batchId);
  }

  private async onOutcome(s: BatchSettledV1): Promise<void> {
    const { store, metrics, log } = this.o;
    const rec = await store.get(s.batchId);
    if (!rec || rec.planVersion !== s.planVersion || rec.state !== 'VERIFIED') return;
    if (!s.ok && s.badIndices.some((i) => i >= rec.proofs)) {
      log.error('settlement outcome names a proof index the batch does not have: dropped', { batchId: s.batchId, badIndices: s.badIndices, proofs: rec.proofs });
      metrics.messagesRefused.inc({ what: 'settlement outcome', reason: 'INDEX_OUT_OF_RANGE' });
      return;
    }
    if (s.ok) {
      await this.o.resolve(s.batchId);
      return;
    }
    if (s.code === 'PROOF_INVALID' && s.badIndices.length > 0) {
      // Proofs that passed intake but not the aggregator's full checks: drop them and prove again.
      const back = await store.reprove(s.batchId, s.planVersion, s.badIndices);
      if (!back.ok) return; // already handled (a redelivered outcome)
      for (const i of s.badIndices) await this.o.reissuer.reissue(s.batchId, s.planVersion, i, 'rejected:PROOF_INVALID');
      return;
    }
    const code = s.code === 'DIVERGED' ? ErrorCode.SETTLEMENT_DIVERGED : ErrorCode.SETTLEMENT_FAILED;
    log.error('settlement refused the batch: failing it and re-planning the batches after it', { batchId: s.batchId, code: s.code, reason: s.reason });
    await this.o.failBatch(s.batchId, code, `settlement refused the batch (${s.code}): ${s.reason}`, s.planVersion);
    metrics.batchesFinished.inc({ state: 'FAILED' });
  }
}
