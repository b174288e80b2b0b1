import { describe, expect, it } from 'vitest';
import { bucketCountFor } from './digest.ts';
import { deltaMessages, fitKeys, MIN_MAX_MESSAGE_BYTES } from './gossip-messages.ts';
import { MembershipCore, MembershipOptionsError } from './replica-core.ts';
import { entryOf, newIdentity, NOW, SKEW_MS } from './test-support/entries.ts';

const core = (id: string, maxMessageBytes = 4_096) => new MembershipCore({ id, isAdmitted: () => true, maxSkewMs: SKEW_MS, now: () => NOW, maxMessageBytes });
const entries = Array.from({ length: 300 }, () => entryOf(newIdentity()));

/** Rounds started by `a` with `b` until one finds them equal; every message's size, both ways. */
async function syncUntilEqual(a: MembershipCore, b: MembershipCore): Promise<{ rounds: number; sizes: number[]; truncated: number }> {
  const sizes: number[] = [];
  let truncated = 0;
  for (let rounds = 1; rounds < 200; rounds += 1) {
    const r = await a.antiEntropy.round(async (req) => {
      sizes.push(req.byteLength);
      const { reply } = b.antiEntropy.answer(req);
      sizes.push(reply.byteLength);
      return reply;
    });
    if (r.truncated) truncated += 1;
    if (r.equal) return { rounds, sizes, truncated };
  }
  throw new Error('no convergence in 200 rounds');
}

describe('the anti-entropy exchange within a byte bound', () => {
  it('repairs an empty replica from a full one in rounds of messages at most 4 KiB, asking for a finer summary first', async () => {
    const full = core('full');
    full.map.merge(entries);
    const empty = core('empty');
    const { rounds, sizes, truncated } = await syncUntilEqual(empty, full);
    expect(empty.map.serialize()).toBe(full.map.serialize());
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4_096);
    // 300 entries of ~550 bytes need about 40 messages of 4 KiB: truncated rounds, the last repair that
    // fits whole, then one round that finds them equal.
    expect(truncated).toBeGreaterThan(10);
    expect(rounds).toBe(truncated + 2);
    expect(empty.stats.antiEntropy.entriesRepaired).toBe(300);
    expect(full.stats.antiEntropy.entriesSent).toBe(300);
    // The empty replica summarized at 1 bucket; the full one asked for its own count.
    expect(full.map.digest().count).toBe(bucketCountFor(300));
  });

  it('repairs both ways in one exchange, each side sending only what the other lacks', async () => {
    const a = core('a', 256 * 1024);
    const b = core('b', 256 * 1024);
    a.map.merge(entries.slice(0, 200));
    b.map.merge(entries.slice(100));
    const { rounds } = await syncUntilEqual(a, b);
    expect(rounds).toBe(2);
    expect(a.map.serialize()).toBe(b.map.serialize());
    expect(a.stats.antiEntropy.entriesSent).toBe(100);
    expect(b.stats.antiEntropy.entriesSent).toBe(100);
  });

  it("cuts the replies to the asker's bound when the responder's is larger", async () => {
    const full = core('full', 256 * 1024);
    full.map.merge(entries);
    const small = core('small', 4_096);
    const { sizes } = await syncUntilEqual(small, full);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4_096);
    expect(small.map.members()).toHaveLength(300);
  });

  it('splits deltas and narrows key lists to whole buckets within the bound', () => {
    const messages = deltaMessages('r', entries, 4_096);
    expect(Math.max(...messages.map((m) => m.byteLength))).toBeLessThanOrEqual(4_096);
    expect(messages.flatMap((m) => (JSON.parse(Buffer.from(m).toString()) as { entries: unknown[] }).entries)).toEqual(entries);
    const a = core('a');
    a.map.merge(entries);
    const keys = a.map.keysFor({ kind: 'buckets', count: 32, hashes: '0'.repeat(32 * 16) });
    const { keys: fitted, truncated } = fitKeys(keys, 2_000);
    expect(truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(2_000);
    // Every worker of each covered bucket is listed, so a peer can trust what the list leaves out.
    expect(fitted.versions).toEqual(keys.versions.filter((v) => fitted.buckets.includes(Number.parseInt(v[0].slice(0, 8), 16) & 31)));
  });

  it('refuses a bound below one entry with its envelope', () => {
    expect(() => core('x', MIN_MAX_MESSAGE_BYTES - 1)).toThrow(MembershipOptionsError);
  });
});
