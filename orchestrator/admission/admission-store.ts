import type { Redis } from 'ioredis';

/** A worker's admission record. */
export interface AdmissionEntry {
  workerId: string;
  operator?: string;
  /** Unix seconds of its revocation, when revoked. */
  revokedAt?: number;
}

/**
 * Admission state in Redis (`<prefix>admission:*`): single-use challenges, the allowlist (worker id ->
 * operator), workers admitted under open admission per operator, and revocations (worker id -> unix
 * seconds). Every change is one Redis command or one MULTI, so nothing is half-written.
 */
export class AdmissionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(k: string): string {
    return `${this.prefix}admission:${k}`;
  }

  /** Remembers a challenge for `ttlMs`. */
  async putChallenge(nonce: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(`challenge:${nonce}`), '1', 'PX', ttlMs);
  }

  /** Consumes a challenge: true once, while it lives. */
  async takeChallenge(nonce: string): Promise<boolean> {
    return (await this.redis.getdel(this.key(`challenge:${nonce}`))) !== null;
  }

  /** Allows a worker key for an operator (and lifts a revocation of it). */
  async allow(workerId: string, operator: string): Promise<void> {
    await this.redis.multi().hset(this.key('allowed'), workerId, operator).hdel(this.key('revoked'), workerId).exec();
  }

  /** Revokes a worker key now: it is refused admission and its NATS credentials stop working. */
  async revoke(workerId: string, nowSec = Math.floor(Date.now() / 1000)): Promise<void> {
    const op = await this.redis.hget(this.key('admitted'), workerId);
    const m = this.redis.multi().hset(this.key('revoked'), workerId, String(nowSec)).hdel(this.key('allowed'), workerId).hdel(this.key('admitted'), workerId);
    if (op) m.srem(this.key(`admitted:${op}`), workerId);
    await m.exec();
  }

  async allowedOperator(workerId: string): Promise<string | null> {
    return this.redis.hget(this.key('allowed'), workerId);
  }

  /** Unix seconds of a worker's revocation, or null. */
  async revokedAt(workerId: string): Promise<number | null> {
    const v = await this.redis.hget(this.key('revoked'), workerId);
    return v === null ? null : Number(v);
  }

  /** Every revocation: worker id -> unix seconds. */
  async revocations(): Promise<Record<string, number>> {
    const all = await this.redis.hgetall(this.key('revoked'));
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Number(v)]));
  }

  /**
   * Counts a worker against its operator's open-admission quota: true when it already counts or a slot
   * was free (atomically, so concurrent admissions cannot overrun the quota).
   */
  async takeQuotaSlot(workerId: string, operator: string, quota: number): Promise<boolean> {
    const r = (await this.redis.eval(
      `if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
       if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
       redis.call('SADD', KEYS[1], ARGV[1]); redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]); return 1`,
      2,
      this.key(`admitted:${operator}`),
      this.key('admitted'),
      workerId,
      String(quota),
      operator,
    )) as number;
    return r === 1;
  }

  /** Every known worker: allowed, admitted or revoked. */
  async list(): Promise<AdmissionEntry[]> {
    const [allowed, admitted, revoked] = await Promise.all([
      this.redis.hgetall(this.key('allowed')),
      this.redis.hgetall(this.key('admitted')),
      this.redis.hgetall(this.key('revoked')),
    ]);
    const ids = new Set([...Object.keys(allowed), ...Object.keys(admitted), ...Object.keys(revoked)]);
    return [...ids].sort().map((workerId) => ({
      workerId,
      ...((allowed[workerId] ?? admitted[workerId]) ? { operator: allowed[workerId] ?? admitted[workerId] } : {}),
      ...(revoked[workerId] ? { revokedAt: Number(revoked[workerId]) } : {}),
    }));
  }
}
