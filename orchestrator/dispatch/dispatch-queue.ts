import { Queue, Worker as BullWorker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../swarm/log/logger.ts';
import type { Dispatcher } from './dispatcher.ts';

/**
 * Dispatch as a durable stage: a BullMQ queue of "publish the jobs of batch X plan v" with retries, so
 * a planned batch is dispatched even when NATS is briefly unreachable or the process restarts.
 */
export function dispatchQueue(o: { redis: Redis; prefix: string; dispatcher: Dispatcher; log: Logger }) {
  const prefix = `${o.prefix}bull`;
  const queue = new Queue('dispatch', { connection: o.redis, prefix });
  const worker = new BullWorker(
    'dispatch',
    async (job) => {
      const { batchId, planVersion } = job.data as { batchId: string; planVersion: number };
      await o.dispatcher.dispatchBatch(batchId, planVersion);
    },
    { connection: o.redis.duplicate(), prefix, concurrency: 4 },
  );
  worker.on('failed', (job, err) => o.log.warn('dispatch attempt failed; will retry', { batchId: job?.data?.batchId, error: err }));
  return {
    /** Queues the dispatch of one plan version (idempotent by batch and version). */
    enqueue: async (batchId: string, planVersion: number): Promise<void> => {
      await queue.add(
        'dispatch',
        { batchId, planVersion },
        { jobId: `${batchId}-v${planVersion}`, attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 1000 },
      );
    },
    /** Removes the finished dispatch jobs of plan versions 1..`planVersion` of a batch (it is being pruned). */
    forget: async (batchId: string, planVersion: number): Promise<void> => {
      for (let v = 1; v <= planVersion; v++) await queue.remove(`${batchId}-v${v}`);
    },
    close: async (): Promise<void> => {
      await worker.close();
      await queue.close();
    },
  };
}
