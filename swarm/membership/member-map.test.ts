import { describe, expect, it } from 'vitest';
import { MAX_TTL_MS } from './member-entry.ts';
import { MemberMap, MemberMapOptionsError } from './member-map.ts';
import { entryOf, newIdentity, NOW, replica, SKEW_MS } from './test-support/entries.ts';

const a = newIdentity();
const b = newIdentity();

describe('the membership map', () => {
  it('applies an entry and returns it as the delta; a newer one replaces it; an older one changes nothing', () => {
    const map = replica();
    const first = entryOf(a, { wallMs: NOW - 2_000 });
    const second = entryOf(a, { wallMs: NOW - 1_000, score: 30 });
    expect(map.apply(first)).toEqual([first]);
    expect(map.apply(second)).toEqual([second]);
    expect(map.apply(first)).toEqual([]);
    expect(map.get(a.id)).toEqual(second);
    expect(map.members()).toEqual([second]);
    expect(map.dropped.REPLAYED).toBe(1);
  });

  it('counts exact duplicates apart from replays, and each dropped entry under its reason', () => {
    const map = replica({ now: NOW }, new Set([a.id]));
    const entry = entryOf(a);
    map.merge([entry, entry, JSON.stringify(entry)]);
    expect(map.duplicates).toBe(2);
    map.merge([
      entryOf(b),
      { ...entryOf(a, { wallMs: NOW }), score: 1_000 },
      entryOf(a, { wallMs: NOW + SKEW_MS + 1 }),
      entryOf(a, { wallMs: NOW - 70_000 }),
      'not json',
      'x'.repeat(5_000),
    ]);
    expect(map.dropped).toEqual({ OVERSIZED: 1, MALFORMED: 1, NOT_ADMITTED: 1, FUTURE: 1, EXPIRED: 1, REPLAYED: 0, BAD_SIGNATURE: 1 });
    expect(map.members()).toEqual([entry]);
  });

  it('merges a delta and returns only the entries that changed it', () => {
    const map = replica();
    const ea = entryOf(a);
    map.apply(ea);
    const eb = entryOf(b);
    expect(map.merge([ea, eb, entryOf(a, { wallMs: NOW - 5_000 })])).toEqual([eb]);
    expect(map.members().map((e) => e.workerId)).toEqual([a.id, b.id].sort());
  });

  it('expires a worker: it stops being a member, and a late copy of its old entry does not bring it back', () => {
    const clock = { now: NOW };
    const map = replica(clock);
    const old = entryOf(a, { wallMs: NOW - 1_000, ttlMs: 10_000 });
    map.apply(old);
    clock.now = NOW + 9_000;
    expect(map.get(a.id)).toBeUndefined();
    expect(map.members()).toEqual([]);
    expect(map.expire()).toEqual([a.id]);
    expect(map.apply(old)).toEqual([]);
    expect(map.members()).toEqual([]);
    expect(map.dropped.EXPIRED).toBe(1);
  });

  it('keeps a tombstone that refuses an older entry still unexpired (it signed a longer life) until that life is over', () => {
    const clock = { now: NOW };
    const map = replica(clock);
    const older = entryOf(a, { wallMs: NOW - 2_000, ttlMs: MAX_TTL_MS });
    const newer = entryOf(a, { wallMs: NOW - 1_000, ttlMs: 5_000 });
    map.apply(newer);
    clock.now = NOW + 4_000;
    expect(map.expire()).toEqual([a.id]);
    expect(map.apply(older)).toEqual([]);
    expect(map.dropped.REPLAYED).toBe(1);
    expect(map.members()).toEqual([]);
    expect(map.size).toBe(1);
    clock.now = newer.hlc.wallMs + MAX_TTL_MS + SKEW_MS - 1;
    map.expire();
    expect(map.size).toBe(1);
    clock.now += 1;
    map.expire();
    expect(map.size).toBe(0);
    expect(map.apply(older)).toEqual([]);
    expect(map.dropped.EXPIRED).toBe(1);
  });

  it('takes a worker back when it signs a newer entry after expiring', () => {
    const clock = { now: NOW };
    const map = replica(clock);
    map.apply(entryOf(a, { wallMs: NOW - 1_000, ttlMs: 5_000 }));
    clock.now = NOW + 10_000;
    map.expire();
    const back = entryOf(a, { wallMs: NOW + 10_000 });
    expect(map.apply(back)).toEqual([back]);
    expect(map.members()).toEqual([back]);
  });

  it('serializes equal states equally, whatever the order entries came in', () => {
    const [ea, eb] = [entryOf(a), entryOf(b)];
    const x = replica();
    x.merge([ea, eb]);
    const y = replica();
    y.merge([eb, ea]);
    expect(x.serialize()).toBe(y.serialize());
    y.apply(entryOf(b, { wallMs: NOW }));
    expect(x.serialize()).not.toBe(y.serialize());
  });

  it('refuses a bad skew bound by name', () => {
    expect(() => new MemberMap({ isAdmitted: () => true, maxSkewMs: -1 })).toThrow(MemberMapOptionsError);
  });
});
