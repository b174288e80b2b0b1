import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../identity/ed25519.ts';
import { compareVersions, entrySigningBytes, entryVersion, type MemberEntry } from './member-entry.ts';
import type { MemberMap } from './member-map.ts';
import { entryOf, newIdentity, NOW, replica } from './test-support/entries.ts';

/**
 * A pool of entries of three workers: several clocks each, two entries signed at one clock (ordered by
 * signature), one that expired, and forgeries (a changed field; a newer clock under another key) that
 * no order of delivery may let in.
 */
function signedByAnother(entry: MemberEntry, signer: Identity): MemberEntry {
  const { signature: _s, ...unsigned } = entry;
  return { ...unsigned, signature: signer.sign(entrySigningBytes(unsigned)) };
}

const workers = [newIdentity(), newIdentity(), newIdentity()];
const valid: MemberEntry[] = workers.flatMap((w, i) => [
  entryOf(w, { wallMs: NOW - 3_000, counter: i }),
  entryOf(w, { wallMs: NOW - 2_000 }),
  entryOf(w, { wallMs: NOW - 2_000, counter: 1, score: 1 }),
  entryOf(w, { wallMs: NOW - 2_000, counter: 1, score: 2 }),
  entryOf(w, { wallMs: NOW - 1_000, counter: 5, ttlMs: 120_000 }),
]);
const expired = entryOf(workers[0]!, { wallMs: NOW - 90_000 });
const forged: unknown[] = [
  { ...entryOf(workers[1]!, { wallMs: NOW }), score: 99 },
  signedByAnother(entryOf(workers[0]!, { wallMs: NOW }), workers[2]!),
];
const pool: unknown[] = [...valid, expired, ...forged];

const index = fc.integer({ min: 0, max: pool.length - 1 });
const entrySet = fc.array(index, { maxLength: 12 }).map((ix) => ix.map((i) => pool[i]));

/** A fresh replica that received `delta`. */
function from(delta: readonly unknown[]): MemberMap {
  const map = replica();
  map.merge(delta);
  return map;
}

/** The state each replica must reach: per worker, the greatest valid entry delivered. */
function expected(delivered: readonly unknown[]): string {
  const best = new Map<string, MemberEntry>();
  for (const e of delivered) {
    if (!valid.includes(e as MemberEntry)) continue;
    const entry = e as MemberEntry;
    const held = best.get(entry.workerId);
    if (!held || compareVersions(entryVersion(entry), entryVersion(held)) > 0) best.set(entry.workerId, entry);
  }
  return from([...best.values()]).serialize();
}

const options = { numRuns: 100 };

describe('merging membership replicas (property)', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(entrySet, entrySet, (x, y) => {
        const xy = from(x);
        xy.merge(from(y).entries());
        const yx = from(y);
        yx.merge(from(x).entries());
        expect(xy.serialize()).toBe(yx.serialize());
      }),
      options,
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(entrySet, entrySet, entrySet, (x, y, z) => {
        const left = from(x);
        left.merge(from(y).entries());
        left.merge(from(z).entries());
        const yz = from(y);
        yz.merge(from(z).entries());
        const right = from(x);
        right.merge(yz.entries());
        expect(left.serialize()).toBe(right.serialize());
      }),
      options,
    );
  });

  it('is idempotent: merging a state into itself changes nothing and returns an empty delta', () => {
    fc.assert(
      fc.property(entrySet, (x) => {
        const map = from(x);
        const before = map.serialize();
        expect(map.merge(map.entries())).toEqual([]);
        expect(map.merge(x)).toEqual([]);
        expect(map.serialize()).toBe(before);
      }),
      options,
    );
  });

  it('brings two replicas that got the same deltas, in any order and with duplicates, to the same state: the newest valid entry per worker', () => {
    const deliveries = fc.array(fc.array(index, { maxLength: 5 }), { maxLength: 10 }).chain((deltas) =>
      fc.tuple(
        fc.constant(deltas),
        fc.shuffledSubarray(deltas, { minLength: deltas.length, maxLength: deltas.length }),
        fc.array(fc.nat({ max: Math.max(0, deltas.length - 1) }), { maxLength: deltas.length === 0 ? 0 : 4 }),
      ),
    );
    fc.assert(
      fc.property(deliveries, ([deltas, shuffled, again]) => {
        const one = replica();
        for (const d of deltas) one.merge(d.map((i) => pool[i]));
        const two = replica();
        for (const d of [...shuffled, ...again.map((i) => deltas[i]!)]) two.merge([...d].reverse().map((i) => pool[i]));
        expect(two.serialize()).toBe(one.serialize());
        expect(one.serialize()).toBe(expected(deltas.flat().map((i) => pool[i])));
      }),
      options,
    );
  });
});
