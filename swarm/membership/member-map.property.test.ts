import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Identity } from '../identity/ed25519.ts';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { compareVersions, entrySigningBytes, type MemberEntry } from './member-entry.ts';
import type { MemberMap } from './member-map.ts';
import { recordKey, recordVersion, type MembershipRecord } from './membership-record.ts';
import type { ReputationRecord } from './reputation-record.ts';
import { entryOf, newIdentity, NOW, replica, reputationOf } from './test-support/entries.ts';

/**
 * A pool of entries of three workers: several clocks each, two entries signed at one clock (ordered by
 * signature), one that expired, and forgeries (a changed field; a newer clock under another key) that
 * no order of delivery may let in; and in the same pool, reputation records of those workers by two
 * trusted observers, built alike (several clocks, two at one clock, one expired), with forgeries (a
 * tally changed, a record signed by the other observer) and a record of an observer not trusted.
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

const observers = [newIdentity(), newIdentity()];
const trusted = new Set(observers.map((o) => o.id));
const untrusted = newIdentity();
function recordSignedByAnother(record: ReputationRecord, signer: Identity): ReputationRecord {
  const { signature: _s, ...unsigned } = record;
  return { ...unsigned, signature: signer.sign(canonicalBytes(unsigned)) };
}
const validRecords: ReputationRecord[] = observers.flatMap((o, i) =>
  workers.slice(i).flatMap((w) => [
    reputationOf(o, w.id, { wallMs: NOW - 3_000, tally: { valid: 1 } }),
    reputationOf(o, w.id, { wallMs: NOW - 2_000, counter: 1, tally: { invalid: 1 } }),
    reputationOf(o, w.id, { wallMs: NOW - 2_000, counter: 1, tally: { invalid: 2 } }),
    reputationOf(o, w.id, { wallMs: NOW - 1_000, tally: { late: 1.5, timeouts: 0.25, latencyMs: 300 } }),
  ]),
);
const badRecords: unknown[] = [
  reputationOf(observers[0]!, workers[1]!.id, { wallMs: NOW - 100_000, ttlMs: 50_000, tally: { invalid: 9 } }),
  { ...reputationOf(observers[0]!, workers[0]!.id, { wallMs: NOW, tally: { invalid: 3 } }), tally: { valid: 0, invalid: 0, late: 0, timeouts: 0, latencyMs: 0 } },
  recordSignedByAnother(reputationOf(observers[1]!, workers[2]!.id, { wallMs: NOW, tally: { invalid: 7 } }), observers[0]!),
  reputationOf(untrusted, workers[0]!.id, { tally: { invalid: 5 } }),
];
const allValid: MembershipRecord[] = [...valid, ...validRecords];
const pool: unknown[] = [...valid, expired, ...forged, ...validRecords, ...badRecords];

const index = fc.integer({ min: 0, max: pool.length - 1 });
const entrySet = fc.array(index, { maxLength: 16 }).map((ix) => ix.map((i) => pool[i]));

/** A fresh replica (trusting the two observers) that received `delta`. */
const fresh = () => replica(undefined, undefined, trusted);
function from(delta: readonly unknown[]): MemberMap {
  const map = fresh();
  map.merge(delta);
  return map;
}

/** The state each replica must reach: per key (worker, or observer and worker), the greatest valid record delivered. */
function expected(delivered: readonly unknown[]): string {
  const best = new Map<string, MembershipRecord>();
  for (const e of delivered) {
    if (!allValid.includes(e as MembershipRecord)) continue;
    const record = e as MembershipRecord;
    const held = best.get(recordKey(record));
    if (!held || compareVersions(recordVersion(record), recordVersion(held)) > 0) best.set(recordKey(record), record);
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

  it('brings two replicas that got the same deltas, in any order and with duplicates, to the same state: the newest valid record per key, and the same reputation scores', () => {
    const deliveries = fc.array(fc.array(index, { maxLength: 5 }), { maxLength: 10 }).chain((deltas) =>
      fc.tuple(
        fc.constant(deltas),
        fc.shuffledSubarray(deltas, { minLength: deltas.length, maxLength: deltas.length }),
        fc.array(fc.nat({ max: Math.max(0, deltas.length - 1) }), { maxLength: deltas.length === 0 ? 0 : 4 }),
      ),
    );
    fc.assert(
      fc.property(deliveries, ([deltas, shuffled, again]) => {
        const one = fresh();
        for (const d of deltas) one.merge(d.map((i) => pool[i]));
        const two = fresh();
        for (const d of [...shuffled, ...again.map((i) => deltas[i]!)]) two.merge([...d].reverse().map((i) => pool[i]));
        expect(two.serialize()).toBe(one.serialize());
        expect(one.serialize()).toBe(expected(deltas.flat().map((i) => pool[i])));
        for (const w of workers) expect(two.reputationOf(w.id)).toBe(one.reputationOf(w.id));
      }),
      options,
    );
  });
});
