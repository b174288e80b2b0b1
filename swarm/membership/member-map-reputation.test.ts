import { describe, expect, it } from 'vitest';
import { MemberMap } from './member-map.ts';
import { recordKey } from './membership-record.ts';
import { REPUTATION_MAX_LIFE_MS } from './reputation-record.ts';
import { REPUTATION_HALF_LIFE_MS, REPUTATION_THRESHOLD } from './reputation-score.ts';
import { entryOf, newIdentity, NOW, replica, reputationOf, SKEW_MS } from './test-support/entries.ts';

const [a, b] = [newIdentity(), newIdentity()];
const [w, v] = [newIdentity(), newIdentity()];
const observers = new Set([a.id, b.id]);

describe('reputation records in the membership map', () => {
  it('holds them beside the member entries: members() and get() return members only', () => {
    const map = replica({ now: NOW }, undefined, observers);
    const entry = entryOf(w);
    const record = reputationOf(a, w.id, { tally: { invalid: 1 } });
    expect(map.merge([entry, record])).toEqual([entry, record]);
    expect(map.members()).toEqual([entry]);
    expect(map.get(w.id)).toEqual(entry);
    expect(map.get(recordKey(record))).toBeUndefined();
    expect(map.reputationRecords(w.id)).toEqual([record]);
    expect(map.reputationRecords()).toEqual([record]);
    expect(map.reputationRecord(a.id, w.id)).toEqual(record);
    expect(map.size).toBe(2);
    expect(map.entries()).toHaveLength(2);
  });

  it("scores a worker from every observer's newest record of it, and no other worker's", () => {
    const map = replica({ now: NOW }, undefined, observers);
    expect(map.reputationOf(w.id)).toBe(100);
    map.merge([reputationOf(a, w.id, { wallMs: NOW - 2_000, tally: { invalid: 1 } }), reputationOf(b, v.id, { tally: { invalid: 3 } })]);
    expect(map.reputationOf(w.id, NOW - 2_000)).toBe(50);
    map.apply(reputationOf(b, w.id, { wallMs: NOW - 2_000, tally: { invalid: 1 } }));
    expect(map.reputationOf(w.id, NOW - 2_000)).toBe(25);
    expect(map.reputationOf(w.id, NOW - 2_000)).toBeLessThan(REPUTATION_THRESHOLD);
    // Observer a's newer record replaces its older one: it does not add to it.
    map.apply(reputationOf(a, w.id, { wallMs: NOW - 2_000, counter: 1, tally: { invalid: 1, late: 1 } }));
    expect(map.reputationRecords(w.id)).toHaveLength(2);
    expect(map.reputationOf(w.id, NOW - 2_000)).toBe(21.25);
    expect(map.reputationOf(v.id, NOW - 1_000)).toBe(12.5);
    // Decay: after one half-life each invalid result weighs half.
    expect(map.reputationOf(v.id, NOW - 1_000 + REPUTATION_HALF_LIFE_MS)).toBe(35.36);
  });

  it('drops every reputation record by default (no trusted observer), as NOT_ADMITTED', () => {
    const map = new MemberMap({ isAdmitted: () => true, maxSkewMs: SKEW_MS, now: () => NOW });
    expect(map.apply(reputationOf(a, w.id, { tally: { invalid: 5 } }))).toEqual([]);
    expect(map.dropped.NOT_ADMITTED).toBe(1);
    expect(map.reputationOf(w.id)).toBe(100);
  });

  it('expires records into tombstones that outlive the longest life a record may sign, and no longer counts them', () => {
    const clock = { now: NOW };
    const map = replica(clock, undefined, observers);
    const older = reputationOf(a, w.id, { wallMs: NOW - 2_000, tally: { invalid: 2 } });
    const newer = reputationOf(a, w.id, { wallMs: NOW - 1_000, ttlMs: 5_000, tally: { invalid: 2 } });
    map.apply(newer);
    clock.now = NOW + 4_000;
    expect(map.reputationOf(w.id)).toBe(100);
    expect(map.reputationRecords(w.id)).toEqual([]);
    expect(map.expire()).toEqual([recordKey(newer)]);
    expect(map.apply(older)).toEqual([]);
    expect(map.dropped.REPLAYED).toBe(1);
    expect(map.reputationRecord(a.id, w.id)).toBeUndefined();
    clock.now = newer.hlc.wallMs + REPUTATION_MAX_LIFE_MS + SKEW_MS - 1;
    map.expire();
    expect(map.size).toBe(1);
    clock.now += 1;
    map.expire();
    expect(map.size).toBe(0);
    // A newer record counts again.
    const back = reputationOf(a, w.id, { wallMs: clock.now, tally: { invalid: 1 } });
    expect(map.apply(back)).toEqual([back]);
    expect(map.reputationOf(w.id)).toBe(50);
  });
});
