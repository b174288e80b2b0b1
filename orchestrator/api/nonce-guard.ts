import { status } from '@grpc/grpc-js';
import type { Redis } from 'ioredis';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { ApiError } from './api-error.ts';

/**
 * Remembers the nonces of signed requests in Redis (`<prefix>request-nonce:<bank>:<nonce>`, SET NX) for
 * twice the clock-skew window plus a second: a request is accepted while its timestamp is within the
 * window of the server clock, so its nonce outlives every moment at which it could be accepted again.
 */
export class NonceGuard {
  private readonly ttlMs: number;

  constructor(
    private readonly o: { redis: Redis; prefix: string; maxClockSkewMs: number },
  ) {
    this.ttlMs = 2 * o.maxClockSkewMs + 1_000;
  }

  /** Claims `nonce` for `bankId`; refuses one already claimed (UNAUTHENTICATED, REQUEST_REPLAYED). */
  async claim(bankId: string, nonce: string): Promise<void> {
    const set = await this.o.redis.set(`${this.o.prefix}request-nonce:${bankId}:${nonce}`, '1', 'PX', this.ttlMs, 'NX');
    if (set !== 'OK') throw new ApiError(status.UNAUTHENTICATED, ErrorCode.REQUEST_REPLAYED, 'this nonce was already used: a replayed request is refused (sign each request with a new nonce)', 'nonce');
  }
}
