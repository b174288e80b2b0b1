import { Queue, UnrecoverableError, Worker as BullWorker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../swarm/log/logger.ts';
import type { WitnessGenerator, WitnessTask } from './witness-generator.ts';

/** Errors that a retry cannot cure: the plan's inputs do not satisfy the circuit. */
const FINAL_CODES = new Set(['WITNESS_FAILED', 'WITNESS_MISMATCH']);

/** The queue states of an attempt that a witness stage will still take up. */
const PENDING_STATES = new Set(['waiting', 'waiting-children', 'prioritized', 'delayed', 'active']);

/**
 * How often an attempt may be found stalled (its stage killed, or too busy to renew its lock) and run
 * again before BullMQ fails it; BullMQ's default of 1 fails an attempt whose stage was killed twice while
 * preparing it. A failed attempt is re-issued by housekeeping.
 */
const MAX_STALLED = 5;

/** The BullMQ job id of proof attempt `proofId`. */
export const witnessJobId = (proofId: string) => `w.${proofId}`;

/** The BullMQ key prefix of the witness queue of a store with key prefix `storePrefix`. */
export const witnessQueuePrefix = (storePrefix: string) => `${storePrefix}bull`;

/** The durable queue between the dispatcher and the witness generators (BullMQ, in the orchestrator's Redis). */
export interface WitnessQueue {
  /** Queues one proof attempt (idempotent by proof id). */
  enqueue(task: WitnessTask): Promise<void>;
  /**
   * Whether the queue still holds proof attempt `proofId` to be prepared (waiting, delayed or in a
   * stage's hands). False once it is done, failed for good (out of attempts, or stalled by kills too
   * often) or was never queued: then no one will publish its halves.
   */
  pending(proofId: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The witness stage's queue. With `generator`, this process also works the queue (`concurrency` attempts
 * at once): a failed attempt is retried with backoff, one the circuit refuses is reported to `onRefused`
 * and not retried. Any number of processes may work one queue.
 */
export function witnessQueue(o: {
  redis: Redis;
  prefix: string;
  log: Logger;
  generator?: WitnessGenerator;
  concurrency?: number;
  onRefused?: (task: WitnessTask, message: string) => Promise<void>;
}): WitnessQueue {
  const prefix = witnessQueuePrefix(o.prefix);
  const queue = new Queue('witness', { connection: o.redis, prefix });
  const generator = o.generator;
  const worker = generator
    ? new BullWorker(
        'witness',
        async (job) => {
          const task = job.data as WitnessTask;
          try {
            await generator.generate(task);
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code && FINAL_CODES.has(code)) {
              o.log.error('the witness stage refuses a transfer: not retried', { proofId: task.proofId, code, error: err });
              await o.onRefused?.(task, (err as Error).message);
              throw new UnrecoverableError((err as Error).message);
            }
            throw err;
          }
        },
        { connection: o.redis.duplicate(), prefix, concurrency: o.concurrency ?? 1, maxStalledCount: MAX_STALLED },
      )
    : undefined;
  worker?.on('failed', (job, err) => {
    // Retried with backoff while it has attempts left; housekeeping re-issues one that failed for good.
    if (!(err instanceof UnrecoverableError)) o.log.warn('witness stage attempt failed', { proofId: job?.data?.proofId, attemptsMade: job?.attemptsMade, error: err });
  });
  return {
    enqueue: async (task) => {
      await queue.add('witness', task, { jobId: witnessJobId(task.proofId), attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 1000 });
    },
    pending: async (proofId) => PENDING_STATES.has(await queue.getJobState(witnessJobId(proofId))),
    close: async () => {
      await worker?.close();
      await queue.close();
    },
  };
}
