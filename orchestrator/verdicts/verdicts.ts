import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { consumeMessages, type ConsumeLoop } from '../../protocol/consume-messages.ts';
import { verdictV1, type VerdictV1 } from '../../protocol/messages/verdict.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { jobIdOf } from '../dispatch/dispatcher.ts';
import type { Metrics } from '../metrics.ts';
import type { Reissuer } from '../reissue/reissuer.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { aggregatorSigned } from './aggregator-signed.ts';

export interface VerdictsOptions {
  nc: NatsConnection;
  names: NatsNames;
  store: BatchStore;
  reissuer: Reissuer;
  metrics: Metrics;
  log: Logger;
  /** Public keys (hex) of the aggregators whose signed verdicts count; any other verdict is dropped. */
  aggregatorKeys: readonly string[];
  /** Called once when a batch's every proof is verified. */
  onVerified: (batchId: string) => Promise<void>;
  /** Called once per proof recorded (for metrics: who made it, how long it took). */
  onProofRecorded?: (v: Extract<VerdictV1, { accepted: true }>) => void;
  /** Called with the reason of each rejecting verdict received. */
  onRejected?: (reason: string) => void;
}

/** Rejections that re-issue a job: a live member answered it, wrongly. */
const REISSUING_REASONS: ReadonlySet<string> = new Set(['WRONG_PUBLIC_SIGNALS', 'PROOF_INVALID', 'WRONG_HALF']);

/**
 * Verdicts: consumes the aggregator's verdicts on worker results, only those signed by a configured
 * aggregator key and naming a transfer of the batch (else dropped and counted). An accepted proof is recorded once
 * (the last one makes the batch VERIFIED); a live member's wrong answer (other public signals, an invalid
 * proof) to a job's current attempt re-issues it.
 */
export async function consumeVerdicts(o: VerdictsOptions): Promise<ConsumeLoop> {
  const onVerdict = async (v: VerdictV1): Promise<void> => {
    const { store, metrics, log } = o;
    const batch = await store.get(v.batchId);
    if (!batch) return;
    if (v.index >= batch.transfers) {
      log.error('verdict for a transfer index the batch does not have: dropped', { batchId: v.batchId, index: v.index, transfers: batch.transfers });
      metrics.messagesRefused.inc({ what: 'verdict', reason: 'INDEX_OUT_OF_RANGE' });
      return;
    }
    if (v.accepted) {
      const n = await store.acceptProof(v.batchId, v.planVersion, {
        index: v.index,
        jobId: v.jobId,
        workerId: v.workerId,
        ...(v.halfWorkers ? { halfWorkers: v.halfWorkers } : {}),
        ...(v.attestation ? { attestation: v.attestation } : {}),
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
      o.onProofRecorded?.(v);
      if (n.complete) {
        log.info('batch verified', { batchId: v.batchId, transfers: n.verified });
        await o.onVerified(v.batchId);
      }
      return;
    }
    o.onRejected?.(v.reason);
    // Only a live member's wrong answer to the job re-issues it; any other reason is not the job's fault.
    if (!REISSUING_REASONS.has(v.reason)) {
      log.warn('rejecting verdict for a reason that does not re-issue a job: ignored', { jobId: v.jobId, reason: v.reason });
      return;
    }
    const rec = batch;
    if (rec.state !== 'PROVING' || rec.planVersion !== v.planVersion) return;
    if (v.jobId !== jobIdOf(v.batchId, v.planVersion, v.index, await store.attempt(v.batchId, v.index))) return; // an older attempt
    log.warn('result rejected; re-issuing the job', { jobId: v.jobId, reason: v.reason, detail: v.detail, worker: v.workerId });
    await o.reissuer.reissue(v.batchId, v.planVersion, v.index, `rejected:${v.reason}`);
  };
  return consumeMessages(await jetstream(o.nc).consumers.get(o.names.verdictsStream, o.names.stateConsumer), {
    schema: verdictV1,
    handle: onVerdict,
    log: o.log,
    what: 'verdict',
    maxMessages: 256,
    ...aggregatorSigned(o.aggregatorKeys, o.metrics, 'verdict'),
  });
}
