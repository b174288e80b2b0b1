import { status } from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { isFinal } from '../store/batch-states.ts';
import { ApiError } from './api-error.ts';

/**
 * Caps the batches a bank has submitted that are not final yet. Each bank's unfinished batch ids are a
 * Redis set (`<prefix>bank:<bank>:unfinished`); a reservation first drops the ids whose batch is final
 * (or gone), then adds the new id and takes it back when that makes one too many. Two reservations
 * racing for the last slot may both be refused, never both admitted.
 */
export class OpenBatchQuota {
  constructor(
    private readonly o: { redis: Redis; prefix: string; store: BatchStore; settles: boolean; maxPerBank: number },
  ) {}

  private key(bankId: string): string {
    return `${this.o.prefix}bank:${bankId}:unfinished`;
  }

  /** Reserves a slot for `batchId`, or refuses (RESOURCE_EXHAUSTED, TOO_MANY_OPEN_BATCHES). */
  async reserve(bankId: string, batchId: string): Promise<void> {
    const key = this.key(bankId);
    for (const id of await this.o.redis.smembers(key)) {
      const rec = await this.o.store.get(id);
      if (!rec || isFinal(rec.state, this.o.settles)) await this.o.redis.srem(key, id);
    }
    const [[, added], [, count]] = (await this.o.redis.multi().sadd(key, batchId).scard(key).exec()) as [[null, number], [null, number]];
    if (count > this.o.maxPerBank) {
      if (added === 1) await this.o.redis.srem(key, batchId);
      throw new ApiError(
        status.RESOURCE_EXHAUSTED,
        ErrorCode.TOO_MANY_OPEN_BATCHES,
        `bank "${bankId}" has ${count - added} batches that are not final yet (at most ${this.o.maxPerBank}): wait for one to finish`,
      );
    }
  }

  /** Gives back the slot of a batch that was not stored after all. */
  async release(bankId: string, batchId: string): Promise<void> {
    await this.o.redis.srem(this.key(bankId), batchId);
  }
}
