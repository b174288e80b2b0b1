import { describe, expect, it } from 'vitest';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { LeaderLease } from './leader-lease.ts';

const redisClient = useRedisServer();
let n = 0;


const lease = (owner: string, ttlMs = 400, prefix = `l${n}:`) => new LeaderLease({ redis: redisClient(), key: `${prefix}leader`, epochKey: `${prefix}epoch`, owner, ttlMs });

describe('LeaderLease', () => {
  it('has one holder; a standby takes over with a new epoch once the holder stops renewing', async () => {
    n++;
    const a = lease('a');
    const b = lease('b');
    expect(await a.tryAcquire()).toBe('1');
    expect(await b.tryAcquire()).toBeNull();
    let lostA = '';
    a.keepAlive((r) => (lostA = r));
    await new Promise((r) => setTimeout(r, 1000)); // past two TTLs: renewals keep it
    expect(await b.tryAcquire()).toBeNull();
    a.stop(); // the holder dies: no more renewals
    expect(await b.acquire()).toBe('2');
    expect(lostA).toBe('');
  });

  it('tells a holder that lost the lease (another holder) once, and a release frees it at once', async () => {
    n++;
    const a = lease('a');
    expect(await a.tryAcquire()).toBe('1');
    let lost = 0;
    a.keepAlive(() => lost++);
    await redisClient().del(`l${n}:leader`);
    const b = lease('b');
    expect(await b.tryAcquire()).toBe('2');
    await new Promise((r) => setTimeout(r, 500));
    expect(lost).toBe(1);
    await b.release();
    expect(await lease('c').tryAcquire()).toBe('3');
  });

  it('takes a lapsed lease back when nobody else was elected meanwhile', async () => {
    n++;
    const a = lease('a', 200);
    expect(await a.tryAcquire()).toBe('1');
    await new Promise((r) => setTimeout(r, 300)); // lapsed (e.g. a long pause)
    let lost = 0;
    a.keepAlive(() => lost++);
    await new Promise((r) => setTimeout(r, 200));
    expect(lost).toBe(0);
    expect(await lease('b').tryAcquire()).toBeNull();
    a.stop();
  });
});
