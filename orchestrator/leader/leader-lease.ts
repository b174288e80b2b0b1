import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

/**
 * KEYS[1] lease, KEYS[2] epoch (the fencing token). ARGV[1] owner, ARGV[2] ttl ms.
 * Free lease: a new epoch, held by the owner. Answers the epoch held, or false when another owner holds it.
 */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local owner, epoch = string.match(cur, '^(.*)|(%d+)$')
  if owner == ARGV[1] then return epoch end
  return false
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return tostring(epoch)
`;

/**
 * KEYS as ACQUIRE; ARGV[1] owner, ARGV[2] ttl ms, ARGV[3] the epoch held. Extends the lease while the
 * owner holds it, or takes it back if it lapsed and nobody else was elected since. Answers 1 or 0.
 */
const RENEW = `
local mine = ARGV[1] .. '|' .. ARGV[3]
local cur = redis.call('GET', KEYS[1])
if cur == mine then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not cur and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('SET', KEYS[1], mine, 'PX', ARGV[2]) return 1 end
return 0
`;

/** KEYS[1] lease; ARGV[1] owner|epoch. Deletes the lease if still held by it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface LeaderLeaseOptions {
  redis: Redis;
  /** Key of the lease (e.g. `<prefix>leader`). */
  key: string;
  /** Key of the epoch counter: the fencing token that every batch-state write is checked against. */
  epochKey: string;
  /** Who holds it (unique per process). */
  owner: string;
  /** How long the lease outlives its holder's last renewal. A standby takes over within ttlMs + ttlMs / 4. */
  ttlMs: number;
}

/**
 * One active orchestrator: a lease in Redis with a fencing token. The holder renews it every third of
 * its TTL; a standby tries to take it every quarter. Taking a free lease increments the epoch, so a
 * stale holder's writes (with the old epoch) are refused by the batch store.
 */
export class LeaderLease {
  private epoch: string | undefined;
  private renewing: NodeJS.Timeout | undefined;

  constructor(private readonly o: LeaderLeaseOptions) {}

  /** The fencing token while holding the lease. */
  get token(): string | undefined {
    return this.epoch;
  }

  /** Takes the lease if it is free (or already ours); answers the fencing token, or null. */
  async tryAcquire(): Promise<string | null> {
    const got = (await this.o.redis.eval(ACQUIRE, 2, this.o.key, this.o.epochKey, this.o.owner, this.o.ttlMs)) as string | null;
    if (got) this.epoch = got;
    return got ?? null;
  }

  /** Waits until this process holds the lease (or `signal` aborts); answers the fencing token. */
  async acquire(signal?: AbortSignal, onWaiting?: () => void): Promise<string> {
    let told = false;
    for (;;) {
      signal?.throwIfAborted();
      const token = await this.tryAcquire();
      if (token) return token;
      if (!told) onWaiting?.();
      told = true;
      await sleep(Math.max(50, Math.floor(this.o.ttlMs / 4)), undefined, { signal });
    }
  }

  /** Renews the lease every third of its TTL; calls `onLost` once if it was lost (another leader, or Redis unreachable past the TTL). */
  keepAlive(onLost: (reason: string) => void): void {
    let lastRenewed = Date.now();
    const tick = async () => {
      try {
        const ok = Number(await this.o.redis.eval(RENEW, 2, this.o.key, this.o.epochKey, this.o.owner, this.o.ttlMs, this.epoch ?? ''));
        if (ok === 1) {
          lastRenewed = Date.now();
          return;
        }
        this.stop();
        onLost('another orchestrator holds the lease');
      } catch (err) {
        if (Date.now() - lastRenewed < this.o.ttlMs) return;
        this.stop();
        onLost(`the lease could not be renewed for ${this.o.ttlMs} ms: ${(err as Error).message}`);
      }
    };
    this.renewing = setInterval(() => void tick(), Math.max(50, Math.floor(this.o.ttlMs / 3)));
  }

  /** Stops renewing (the lease then lapses after its TTL). */
  stop(): void {
    clearInterval(this.renewing);
    this.renewing = undefined;
  }

  /** Stops renewing and frees the lease at once, so a standby takes over without waiting for the TTL. */
  async release(): Promise<void> {
    this.stop();
    if (this.epoch) await this.o.redis.eval(RELEASE, 1, this.o.key, `${this.o.owner}|${this.epoch}`).catch(() => 0);
    this.epoch = undefined;
  }
}
