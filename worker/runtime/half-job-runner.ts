import type { HalfJobV1 } from '../../protocol/messages/half.ts';
import type { HalfScalars } from '../../prover/share-codec.ts';
import type { JobContext, JobInHand, JobOutcome } from './job-runner.ts';
import type { JobFailureReason } from './metrics.ts';
import type { KeyedArtifacts } from './proving-key-cache.ts';
import { openShare, wipeHalfScalars } from './share-reader.ts';
import { signedHalfResult, type HalfMsmResult } from './signed-half-result.ts';
import { wrongPoint } from './worker-fault.ts';

/** Computes the five MSMs of one half over a proving key's bases (a thread pool, a Web Worker...). */
export interface HalfProver {
  /**
   * The points A, B1, B2, C, H of `scalars` in the wire format, and how long the MSMs took. Rejects with
   * code SHARE_MALFORMED when the scalars are not field elements of the key.
   */
  msm(artifactHash: string, key: KeyedArtifacts, scalars: HalfScalars): Promise<HalfMsmResult>;
}

const errCode = (err: unknown): string | undefined => (err as { code?: unknown })?.code as string | undefined;
const isShareError = (err: unknown) => errCode(err)?.startsWith('SHARE_') === true;

/**
 * Runs one delivered half job: read the proving key (bad: nak with delay), read the share the grant
 * names from the shares store, open it with the worker's seal key bound to the lease id and decode it
 * (any failure: term with the reason; a share that cannot be read or opened never will be under this
 * lease), compute the five MSMs with in-progress signals (failure: nak with delay), sign and publish the
 * half result with JetStream de-duplication id `jobId:workerId:leaseId`, and only once it is stored ack
 * the job. The scalars are wiped once the MSMs are done and appear in no log line. Never throws.
 */
export async function runHalfJob(hand: JobInHand, job: HalfJobV1, ctx: JobContext): Promise<JobOutcome> {
  const d = hand.delivery;
  const startedMs = Date.now();
  const fail = (reason: JobFailureReason): JobOutcome => {
    ctx.metrics.jobsFailed.inc({ reason });
    return reason;
  };
  const log = ctx.log.child({ jobId: job.jobId, batchId: job.batchId, index: job.index, half: job.half, delivery: d.deliveryCount, leaseId: d.leaseId });
  if (!d.share) {
    log.warn('half job granted without a share: job terminated');
    d.term('half job granted without a share sealed to this worker');
    return fail('share');
  }
  log.info('half job started', { share: d.share.object });
  const working = setInterval(() => {
    if (!hand.abandoned && !d.lost) d.working();
  }, ctx.workingIntervalMs ?? Math.max(200, Math.floor(d.ackWaitMs / 3)));
  try {
    let key: KeyedArtifacts;
    try {
      key = await ctx.provingKeys.get(job.artifact);
    } catch (err) {
      log.error('proving key refused: half job nak\'ed for later', { artifact: job.artifact, err: err as Error });
      if (!hand.abandoned) d.nak(ctx.retryDelayMs);
      return fail('artifact');
    }
    let scalars: HalfScalars;
    try {
      scalars = await openShare(ctx.shares, d.share, ctx.sealKey, d.leaseId, key.pk);
    } catch (err) {
      if (hand.abandoned) return fail('abandoned');
      log.warn('share not usable: half job terminated', { err: err as Error });
      d.term(`share not usable: ${(err as Error).message}`);
      return fail('share');
    }
    if (ctx.fault === 'stall') {
      wipeHalfScalars(scalars);
      while (!hand.abandoned && !d.lost) await new Promise((r) => setTimeout(r, 100));
      log.info('stalled half given up: its lease is lost', { fault: ctx.fault });
      return fail(hand.abandoned ? 'abandoned' : 'lease_lost');
    }
    let msm: HalfMsmResult;
    try {
      msm = await ctx.halfProver.msm(job.artifact, key, scalars);
    } catch (err) {
      if (hand.abandoned) return fail('abandoned');
      if (isShareError(err)) {
        log.warn('share not usable: half job terminated', { err: err as Error });
        d.term(`share not usable: ${(err as Error).message}`);
        return fail('share');
      }
      log.error('MSMs failed: half job nak\'ed for later', { err: err as Error });
      d.nak(ctx.retryDelayMs);
      return fail('prover');
    } finally {
      wipeHalfScalars(scalars);
    }
    if (ctx.fault === 'wrong-point') msm = { ...msm, points: wrongPoint(msm.points) };
    if (hand.abandoned) return fail('abandoned');
    if (d.lost) {
      log.warn('lease lost during the MSMs (the half went to another worker): result not published');
      return fail('lease_lost');
    }
    const finishedMs = Date.now();
    let data: string;
    try {
      data = JSON.stringify(signedHalfResult(ctx.identity, job, d.leaseId, msm, startedMs, finishedMs));
    } catch (err) {
      log.error('the MSMs produced an invalid result: half job terminated', { err: err as Error });
      d.term(`invalid MSM output: ${(err as Error).message}`);
      return fail('prover');
    }
    try {
      await ctx.js.publish(ctx.names.resultSubject(job.batchId), data, { msgID: `${job.jobId}:${ctx.identity.id}:${d.leaseId}` });
    } catch (err) {
      log.error('half result not stored by JetStream: half job nak\'ed for later', { err: err as Error });
      if (!hand.abandoned) d.nak(ctx.retryDelayMs);
      return fail('publish');
    }
    clearInterval(working);
    try {
      await d.ack();
    } catch (err) {
      // The result is stored; a redelivery comes with a new lease and a new share, and is answered again.
      log.warn('half job ack not confirmed after its result was stored', { err: err as Error });
    }
    ctx.metrics.halvesAnswered.inc();
    ctx.metrics.msmSeconds.observe(msm.msmMs / 1000);
    log.info('half job answered', { msmMs: Math.round(msm.msmMs), totalMs: finishedMs - startedMs, ...(ctx.fault ? { fault: ctx.fault } : {}) });
    return 'answered';
  } finally {
    clearInterval(working);
  }
}
