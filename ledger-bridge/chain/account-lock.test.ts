import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { withAccountLock } from './account-lock.ts';

describe('withAccountLock', () => {
  it('runs the holders of one address one at a time, in arrival order, across letter case; other addresses do not wait', async () => {
    const log: string[] = [];
    const hold = (address: string, label: string, ms: number) =>
      withAccountLock(address, async () => {
        log.push(`${label}+`);
        await sleep(ms);
        log.push(`${label}-`);
        return label;
      });
    const results = await Promise.all([hold('0xAbC', 'a1', 30), hold('0xabc', 'a2', 5), hold('0xdef', 'd1', 5), hold('0xABC', 'a3', 1)]);
    expect(results).toEqual(['a1', 'a2', 'd1', 'a3']);
    const a = log.filter((x) => x.startsWith('a'));
    expect(a).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    expect(log.indexOf('d1-')).toBeLessThan(log.indexOf('a1-'));
  });

  it('releases the lock when the holder throws', async () => {
    await expect(withAccountLock('0x1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withAccountLock('0x1', async () => 'next')).resolves.toBe('next');
  });
});
