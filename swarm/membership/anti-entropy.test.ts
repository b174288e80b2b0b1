import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { identityFromSeed } from '../identity/ed25519.ts';
import { bucketCountFor, MembershipDigestError } from './digest.ts';
import type { MemberEntry } from './member-entry.ts';
import type { MemberMap } from './member-map.ts';
import { entryOf, newIdentity, NOW, replica, reputationOf } from './test-support/entries.ts';

/** A message as it would cross the network: JSON text, parsed again on the other side. */
function wire<T>(message: T): { received: unknown; bytes: number } {
  const text = JSON.stringify(message);
  return { received: JSON.parse(text) as unknown, bytes: Buffer.byteLength(text) };
}

/**
 * One anti-entropy round started by `a`: a's summary; b's versions in the buckets that differ; a's
 * entries b lacks and a's versions in those buckets; b's entries a lacks. Returns what crossed.
 */
function antiEntropy(a: MemberMap, b: MemberMap): { toA: number; toB: number; bytes: number; messages: number } {
  const summary = wire(a.digest());
  const keysOfB = wire(b.keysFor(summary.received));
  const forB = wire(a.missingFor(keysOfB.received));
  const keysOfA = wire(a.keysFor(keysOfB.received));
  b.merge(forB.received as unknown[]);
  const forA = wire(b.missingFor(keysOfA.received));
  a.merge(forA.received as unknown[]);
  return {
    toA: (forA.received as unknown[]).length,
    toB: (forB.received as unknown[]).length,
    bytes: summary.bytes + keysOfB.bytes + forB.bytes + keysOfA.bytes + forA.bytes,
    messages: 5,
  };
}

const N = 300;
// Identities from fixed seeds: which buckets the changed workers fall in (and so the bytes of a round) is the same every run.
const ids = Array.from({ length: N + 10 }, (_, i) => identityFromSeed(createHash('sha256').update(`anti-entropy-test-${i}`).digest('hex')));
const common = ids.slice(0, N).map((w) => entryOf(w, { wallMs: NOW - 5_000 }));

function partitioned(): { a: MemberMap; b: MemberMap } {
  const a = replica();
  const b = replica();
  a.merge(common);
  b.merge(common);
  // During the partition: a hears 3 new workers and updates of workers 0..2; b hears 2 new workers and
  // updates of workers 2..4 (worker 2 updated on both sides, b's update the newer).
  a.merge([...ids.slice(N, N + 3).map((w) => entryOf(w)), ...ids.slice(0, 3).map((w) => entryOf(w, { wallMs: NOW - 2_000 }))]);
  b.merge([...ids.slice(N + 3, N + 5).map((w) => entryOf(w)), ...ids.slice(2, 5).map((w) => entryOf(w, { wallMs: NOW - 1_000 }))]);
  return { a, b };
}

describe('anti-entropy between two membership replicas', () => {
  it('after a partition, exchanges only the missing entries and leaves both equal', () => {
    const { a, b } = partitioned();
    expect(a.serialize()).not.toBe(b.serialize());
    const round = antiEntropy(a, b);
    expect(a.serialize()).toBe(b.serialize());
    // a sends its 3 new workers and its updates of workers 0 and 1 (b's update of worker 2 is newer);
    // b sends its 2 new workers and its 3 updates.
    expect(round.toB).toBe(5);
    expect(round.toA).toBe(5);
    expect(a.members()).toHaveLength(N + 5);
    expect(a.get(ids[2]!.id)?.hlc.wallMs).toBe(NOW - 1_000);
    const fullState = Buffer.byteLength(JSON.stringify(a.entries()));
    expect(round.bytes).toBeLessThan(fullState / 5);
    expect(a.dropped).toEqual(b.dropped);
    expect(a.duplicates + b.duplicates).toBe(0);
  });

  it('exchanges nothing but the summary between equal replicas', () => {
    const a = replica();
    const b = replica();
    a.merge(common);
    b.merge([...common].reverse());
    const keys = b.keysFor(wire(a.digest()).received);
    expect(keys).toMatchObject({ buckets: [], versions: [] });
    expect(a.missingFor(keys)).toEqual([]);
    expect(a.digest().count).toBe(bucketCountFor(N));
    expect(a.digest().hashes).toHaveLength(bucketCountFor(N) * 16);
  });

  it('repairs from the summary alone too, sending whole buckets that differ (more, never less, than missing)', () => {
    const { a, b } = partitioned();
    const toB = a.missingFor(wire(b.digest()).received);
    const toA = b.missingFor(wire(a.digest()).received);
    b.merge(toB);
    a.merge(toA);
    expect(a.serialize()).toBe(b.serialize());
    expect(toB.length).toBeGreaterThanOrEqual(5);
    expect(toB.length).toBeLessThan(N);
  });

  it('does not send an entry the peer holds as a tombstone, and the peer does not take it back', () => {
    const clockA = { now: NOW };
    const clockB = { now: NOW };
    const a = replica(clockA);
    const b = replica(clockB);
    const short: MemberEntry = entryOf(ids[0]!, { wallMs: NOW - 1_000, ttlMs: 5_000 });
    a.merge([short, ...common.slice(1, 40)]);
    b.merge([short, ...common.slice(1, 40)]);
    // a's clock is past the entry's expiry and a has expired it; b's clock is a little behind.
    clockA.now = NOW + 4_500;
    clockB.now = NOW + 3_000;
    expect(a.expire()).toEqual([ids[0]!.id]);
    expect(b.expire()).toEqual([]);
    expect(b.keysFor(a.digest())).toMatchObject({ buckets: [], versions: [] });
    expect(b.missingFor(a.digest())).toEqual([]);
    expect(a.merge([short])).toEqual([]);
    expect(a.members()).toHaveLength(39);
    expect(b.members()).toHaveLength(40);
  });

  it('repairs reputation records with the member entries, by key: newer clocks, and one clock signed twice (the greater signature wins)', () => {
    const observers = [newIdentity(), newIdentity()];
    const trusted = new Set(observers.map((o) => o.id));
    const a = replica(undefined, undefined, trusted);
    const b = replica(undefined, undefined, trusted);
    const subject = ids[0]!.id;
    const base = observers.map((o) => reputationOf(o, subject, { wallMs: NOW - 5_000, tally: { valid: 2 } }));
    a.merge([...common.slice(0, 50), ...base]);
    b.merge([...common.slice(0, 50), ...base]);
    // a hears observer 0's newer record (same millisecond, next counter); both hear a record of observer 1
    // signed twice at one clock (two tallies); b hears observer 1's record of another worker.
    const twice = [reputationOf(observers[1]!, subject, { wallMs: NOW - 2_000, tally: { invalid: 1 } }), reputationOf(observers[1]!, subject, { wallMs: NOW - 2_000, tally: { invalid: 2 } })];
    const [low, high] = twice[0]!.signature < twice[1]!.signature ? [twice[0]!, twice[1]!] : [twice[1]!, twice[0]!];
    a.merge([reputationOf(observers[0]!, subject, { wallMs: NOW - 5_000, counter: 1, tally: { invalid: 1 } }), high]);
    b.merge([low, reputationOf(observers[1]!, ids[1]!.id, { tally: { timeouts: 1 } })]);
    const round = antiEntropy(a, b);
    expect(a.serialize()).toBe(b.serialize());
    expect(round).toMatchObject({ toA: 1, toB: 2 });
    expect(b.reputationRecord(observers[1]!.id, subject)).toEqual(high);
    expect(a.reputationOf(subject)).toBe(b.reputationOf(subject));
    expect(a.reputationRecords()).toHaveLength(3);
    expect(a.members()).toHaveLength(50);
  });

  it('refuses a malformed digest with a named error', () => {
    const a = replica();
    for (const bad of [null, { kind: 'buckets', count: 3, hashes: '' }, { kind: 'buckets', count: 2, hashes: 'ab' }, { kind: 'keys', count: 2, buckets: [5], versions: [] }, { kind: 'keys', count: 1, buckets: [0], versions: [['zz', 1, 0, '00']] }]) {
      expect(() => a.missingFor(bad)).toThrow(MembershipDigestError);
      expect(() => a.keysFor(bad)).toThrow(expect.objectContaining({ code: 'MEMBERSHIP_DIGEST_MALFORMED' }));
    }
  });
});
