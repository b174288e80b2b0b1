import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { consumeMessages, type ConsumeLoop } from './consume-messages.ts';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { NATS } from '../../protocol/subjects.ts';
import { verdictV1, type VerdictV1 } from '../../protocol/messages/verdict.ts';
import { jobV1 } from '../../protocol/messages/job.ts';
import { batchSettledV1, type BatchSettledV1 } from '../../protocol/messages/settlement.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { BatchStore } from '../store/batch-store.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { Sequencer } from '../planner/sequencer.ts';
import type { Metrics } from '../metrics.ts';
import { jobIdOf } from '../dispatch/dispatcher.ts';

export interface StateMachineOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  store: BatchStore;
  dispatcher: Dispatcher;
  sequencer: Sequencer;
  log: Logger;
  metrics: Metrics;
  /** Attempts per transfer before the batch fails. */
  maxAttempts: number;
  /** A job not answered within this long is published again (the housekeeper). */
  jobTimeoutMs: number;
  /** Called when a batch's every proof is verified. */
  onVerified: (batchId: string) => Promise<void>;
  /** Called when a batch settled on the ledger. */
  onSettled?: (batchId: string) => Promise<void>;
}

/**
 * Drives batches from PROVING to VERIFIED: consumes the aggregator's verdicts, records verified proofs
 * once, re-issues rejected jobs, handles jobs that JetStream gave up on (the max-deliveries advisory,
 * the dead-letter path) and, as a housekeeper, re-issues jobs that went unanswered for too long.
 */
export class BatchStateMachine {
  private readonly loops: ConsumeLoop[] = [];
  private advisories: Subscription | undefined;
  private housekeeper: NodeJS.Timeout | undefined;

  constructor(private readonly o: StateMachineOptions) {}

  async start(): Promise<void> {
    const js = jetstream(this.o.nc);
    this.loops.push(
      await consumeMessages(await js.consumers.get(NATS.verdictsStream, NATS.stateConsumer), {
        schema: verdictV1,
        handle: (v) => this.onVerdict(v),
        log: this.o.log,
        what: 'verdict',
        maxMessages: 256,
      }),
      await consumeMessages(await js.consumers.get(NATS.settledStream, NATS.settledConsumer), {
        schema: batchSettledV1,
        handle: (s) => this.onSettlement(s),
        log: this.o.log,
        what: 'settlement outcome',
        maxMessages: 16,
      }),
    );
    this.advisories = this.o.nc.subscribe(NATS.maxDeliveriesAdvisory(NATS.jobsStream, NATS.proversConsumer), {
      callback: (err, msg) => {
        if (err) return;
        void this.onDeadLetter(msg.json<{ stream_seq: number }>().stream_seq).catch((e: unknown) =>
          this.o.log.error('dead-letter handling failed', { error: e }),
        );
      },
    });
    this.housekeeper = setInterval(() => {
      void this.sweep().catch((e: unknown) => this.o.log.error('housekeeper sweep failed', { error: e }));
    }, Math.max(1000, Math.floor(this.o.jobTimeoutMs / 4)));
  }

  async stop(): Promise<void> {
    clearInterval(this.housekeeper);
    this.advisories?.unsubscribe();
    for (const l of this.loops.splice(0)) await l.stop();
  }

  private async onSettlement(s: BatchSettledV1): Promise<void> {
    const { store, log, metrics } = this.o;
    const rec = await store.get(s.batchId);
    if (!rec || rec.planVersion !== s.planVersion || rec.state !== 'VERIFIED') return;
    if (s.ok) {
      const settled = await store.markSettled(s.batchId, s.planVersion, {
        txHash: s.txHash,
        block: s.block,
        message: `settled in block ${s.block} (aggregation root ${s.aggregationRoot.slice(0, 18)}..)`,
      });
      if (!settled.ok) return;
      metrics.batchesFinished.inc({ state: 'SETTLED' });
      log.info('batch settled', { batchId: s.batchId, tx: s.txHash, block: s.block, gasUsed: s.gasUsed });
      await this.o.onSettled?.(s.batchId);
      return;
    }
    if (s.code === 'PROOF_INVALID' && s.badIndices.length > 0) {
      // Proofs that passed intake but not the aggregator's full checks: drop them and prove again.
      const back = await store.reprove(s.batchId, s.planVersion, s.badIndices);
      if (!back.ok) return; // already handled (a redelivered outcome)
      for (const i of s.badIndices) await this.reissue(s.batchId, s.planVersion, i, 'rejected:PROOF_INVALID');
      return;
    }
    await this.o.sequencer.failBatch(s.batchId, ErrorCode.SETTLEMENT_FAILED, `the ledger refused the batch: ${s.reason}`, s.planVersion);
    metrics.batchesFinished.inc({ state: 'FAILED' });
  }

  private async onVerdict(v: VerdictV1): Promise<void> {
    const { store, metrics, log } = this.o;
    if (v.accepted) {
      const n = await store.acceptProof(v.batchId, v.planVersion, {
        index: v.index,
        jobId: v.jobId,
        workerId: v.workerId,
        proof: v.proof,
        publicSignals: v.publicSignals,
        proveMs: v.proveMs,
        witnessMs: v.witnessMs,
        enqueuedMs: v.enqueuedMs,
        startedMs: v.startedMs,
        finishedMs: v.finishedMs,
        verifiedMs: v.verifiedMs,
      });
      if (!n.ok) return; // obsolete plan, batch no longer proving, or already recorded
      metrics.proofsAccepted.inc();
      metrics.jobLatency.observe((v.verifiedMs - v.enqueuedMs) / 1000);
      if (n.complete) {
        log.info('batch verified', { batchId: v.batchId, transfers: n.verified });
        await this.o.onVerified(v.batchId);
      }
      return;
    }
    const rec = await store.get(v.batchId);
    if (!rec || rec.state !== 'PROVING' || rec.planVersion !== v.planVersion) return;
    const attempt = await store.attempt(v.batchId, v.index);
    if (v.jobId !== jobIdOf(v.batchId, v.planVersion, v.index, attempt)) return; // an older attempt
    if (await store.hasProof(v.batchId, v.index)) return; // already proved by another worker
    log.warn('result rejected; re-issuing the job', { jobId: v.jobId, reason: v.reason, detail: v.detail, worker: v.workerId });
    await this.reissue(v.batchId, v.planVersion, v.index, `rejected:${v.reason}`);
  }

  /** Publishes the next attempt of a job, or fails the batch when attempts are exhausted. */
  async reissue(batchId: string, version: number, index: number, reason: string): Promise<void> {
    const { store, dispatcher, metrics } = this.o;
    const plan = await store.plan(batchId);
    const t = plan?.transfers.find((x) => x.index === index);
    if (!plan || plan.version !== version || !t) return;
    // Every published job recorded its attempt, so this is the next one.
    const rec = await store.get(batchId);
    if (!rec || rec.state !== 'PROVING' || rec.planVersion !== version) return; // only a proving batch re-issues
    const next = await store.nextAttempt(batchId, index);
    if (next > this.o.maxAttempts) {
      await this.o.sequencer.failBatch(batchId, ErrorCode.PROVING_FAILED, `transfer ${index} could not be proved in ${this.o.maxAttempts} attempts (last: ${reason})`, version);
      metrics.batchesFinished.inc({ state: 'FAILED' });
      return;
    }
    metrics.jobsReissued.inc({ reason: reason.split(':')[0] });
    await store.noteReissue(batchId, version, index, next, reason);
    await dispatcher.publish(batchId, version, index, next, t.input, t.publicSignals);
  }

  /** A job JetStream stopped delivering: take it out of the stream and re-issue it. */
  private async onDeadLetter(seq: number): Promise<void> {
    const { jsm, log } = this.o;
    const sm = await jsm.streams.getMessage(NATS.jobsStream, { seq }).catch(() => null);
    if (!sm) return;
    const job = jobV1.safeParse(sm.json());
    await jsm.streams.deleteMessage(NATS.jobsStream, seq).catch(() => false);
    if (!job.success) return;
    log.warn('job reached its delivery limit (dead letter)', { jobId: job.data.jobId });
    const attempt = await this.o.store.attempt(job.data.batchId, job.data.index);
    if (job.data.jobId !== jobIdOf(job.data.batchId, job.data.planVersion, job.data.index, attempt)) return;
    await this.reissue(job.data.batchId, job.data.planVersion, job.data.index, 'dead-letter');
  }

  /** Re-issues jobs of proving batches that have waited longer than the job timeout. */
  async sweep(now = Date.now()): Promise<void> {
    const { store } = this.o;
    for (const id of await store.open()) {
      const rec = await store.get(id);
      if (!rec || rec.state !== 'PROVING') continue;
      const plan = await store.plan(id);
      if (!plan) continue;
      const proved = new Set((await store.proofs(id)).map((p) => p.index));
      const attempts = await store.attempts(id);
      for (const t of plan.transfers) {
        if (proved.has(t.index)) continue;
        const enq = attempts.get(t.index)?.enqueuedMs ?? 0;
        if (enq && now - enq > this.o.jobTimeoutMs) await this.reissue(id, plan.version, t.index, 'timeout');
      }
    }
  }
}
