import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { halfJobV1, splitHalfJobId } from '../../protocol/messages/half.ts';
import { jobV1 } from '../../protocol/messages/job.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { jobIdOf } from '../dispatch/dispatcher.ts';
import type { BatchStore } from '../store/batch-store.ts';
import type { Reissuer } from './reissuer.ts';

/**
 * Dead letters: a job JetStream stopped delivering (its max-deliveries advisory) is taken out of the
 * jobs stream and, if it is the job's current attempt, re-issued; a speculative copy of a half is only
 * taken out (its original is still in play).
 */
export function watchDeadLetters(o: { names: NatsNames; nc: NatsConnection; jsm: JetStreamManager; store: BatchStore; reissuer: Reissuer; log: Logger }): { stop(): void } {
  const onDeadLetter = async (seq: number) => {
    const sm = await o.jsm.streams.getMessage(o.names.jobsStream, { seq }).catch(() => null);
    if (!sm) return;
    const raw = sm.json();
    const job = jobV1.safeParse(raw);
    const half = halfJobV1.safeParse(raw);
    await o.jsm.streams.deleteMessage(o.names.jobsStream, seq).catch(() => false);
    if (!job.success && !half.success) return;
    if (half.success && splitHalfJobId(half.data.jobId)?.speculative) {
      // A speculative copy nobody fast took: the original half still runs its own course.
      o.log.info('speculative copy of a half reached its delivery limit: dropped', { jobId: half.data.jobId });
      return;
    }
    // A half's attempt is its proof's: the whole attempt is re-issued (a fresh split, both halves).
    const { batchId, planVersion, index } = job.success ? job.data : half.data!;
    const jobId = job.success ? job.data.jobId : half.data!.proofId;
    o.log.warn('job reached its delivery limit (dead letter)', { jobId });
    if (jobId !== jobIdOf(batchId, planVersion, index, await o.store.attempt(batchId, index))) return;
    await o.reissuer.reissue(batchId, planVersion, index, 'dead-letter');
  };
  const sub: Subscription = o.nc.subscribe(o.names.maxDeliveriesAdvisory(o.names.jobsStream, o.names.proversConsumer), {
    callback: (err, msg) => {
      if (err) return;
      void onDeadLetter(msg.json<{ stream_seq: number }>().stream_seq).catch((e: unknown) => o.log.error('dead-letter handling failed', { error: e }));
    },
  });
  return { stop: () => sub.unsubscribe() };
}
