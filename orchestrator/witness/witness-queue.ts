import { Queue, UnrecoverableError, Worker as BullWorker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../swarm/log/logger.ts';
import type { WitnessGenerator, WitnessTask } from './witness-generator.ts';

/** Errors that a retry cannot cure: the plan's inputs do not satisfy the circuit. */
const FINAL_CODES = new Set(['WITNESS_FAILED', 'WITNESS_MISMATCH']);

/** The durable queue between the dispatcher and the witness generators (BullMQ, in the orchestrator's Redis). */
export interface WitnessQueue {
  /** Queues one proof attempt (idempotent by proof id). */
  enqueue(task: WitnessTask): Promise<void>;
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
  const prefix = `${o.prefix}bull`;
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
        { connection: o.redis.duplicate(), prefix, concurrency: o.concurrency ?? 1 },
      )
    : undefined;
  worker?.on('failed', (job, err) => {
    if (!(err instanceof UnrecoverableError)) o.log.warn('witness stage attempt failed; will retry', { proofId: job?.data?.proofId, error: err });
  });
  return {
    enqueue: async (task) => {
      await queue.add('witness', task, { jobId: `w.${task.proofId}`, attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 1000 });
    },
    close: async () => {
      await worker?.close();
      await queue.close();
    },
  };
}
