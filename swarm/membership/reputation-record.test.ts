import { describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { checkEntry, type EntryCheck, type EntryCheckContext } from './check-entry.ts';
import { MAX_ENTRY_BYTES } from './member-entry.ts';
import { recordKey, recordVersion } from './membership-record.ts';
import { REPUTATION_MAX_LIFE_MS, reputationKey, signReputationRecord, type ReputationRecord } from './reputation-record.ts';
import { entryOf, newIdentity, NOW, reputationOf, SKEW_MS } from './test-support/entries.ts';

const observer = newIdentity();
const otherObserver = newIdentity();
const untrusted = newIdentity();
const worker = newIdentity();
const trusted = new Set([observer.id, otherObserver.id]);

function ctx(o: Partial<EntryCheckContext> = {}): EntryCheckContext {
  return { nowMs: NOW, maxSkewMs: SKEW_MS, isAdmitted: () => true, isObserver: (id) => trusted.has(id), ...o };
}

const reasonOf = (check: EntryCheck): string => (check.ok ? 'OK' : check.reason);
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('a reputation record', () => {
  it('is keyed by sha256 of its observer and subject: 32 bytes of hex, one key per pair', () => {
    const r = reputationOf(observer, worker.id);
    expect(recordKey(r)).toBe(reputationKey(observer.id, worker.id));
    expect(recordKey(r)).toMatch(/^[0-9a-f]{64}$/);
    expect(recordKey(r)).not.toBe(reputationKey(worker.id, observer.id));
    expect(recordKey(reputationOf(otherObserver, worker.id))).not.toBe(recordKey(r));
    expect(recordVersion(r).hlc.node).toBe(observer.id);
  });

  it('signing refuses fields out of bounds: a negative count, a life too long', () => {
    const fields = { subject: worker.id, hlc: { wallMs: NOW, counter: 0 }, tally: { valid: 0, invalid: -1, late: 0, timeouts: 0, latencyMs: 0 }, expiresAtMs: NOW + 1_000 };
    expect(() => signReputationRecord(observer, fields)).toThrow();
    expect(() => signReputationRecord(observer, { ...fields, tally: { ...fields.tally, invalid: 1 }, expiresAtMs: NOW + REPUTATION_MAX_LIFE_MS + 1 })).toThrow();
  });
});

describe('checking a received reputation record', () => {
  it("keeps a trusted observer's well-signed record, as bytes, as text or as a parsed object", () => {
    const r = reputationOf(observer, worker.id, { tally: { invalid: 1.5, valid: 3, latencyMs: 420.25 } });
    for (const received of [json(r), JSON.stringify(r), JSON.parse(JSON.stringify(r)) as unknown]) expect(checkEntry(received, ctx())).toEqual({ ok: true, entry: r });
  });

  it('NOT_ADMITTED: a well-signed record of an observer not trusted, and every record when no observer is trusted', () => {
    expect(checkEntry(reputationOf(untrusted, worker.id), ctx())).toMatchObject({ ok: false, reason: 'NOT_ADMITTED', detail: `observer ${untrusted.id} is not a trusted observer` });
    const { isObserver: _none, ...noObservers } = ctx();
    expect(reasonOf(checkEntry(reputationOf(observer, worker.id), noObservers))).toBe('NOT_ADMITTED');
    // A worker admitted as a member is not an observer for that.
    expect(reasonOf(checkEntry(reputationOf(worker, worker.id), ctx({ isAdmitted: () => true })))).toBe('NOT_ADMITTED');
  });

  it('BAD_SIGNATURE: forged (signed by another trusted observer, or by the subject), tampered tally, unsigned', () => {
    const genuine = reputationOf(observer, worker.id, { tally: { invalid: 2 } });
    const { signature: _s, ...unsigned } = genuine;
    const byOther: ReputationRecord = { ...unsigned, signature: otherObserver.sign(canonicalBytes(unsigned)) };
    const byWorker: ReputationRecord = { ...unsigned, signature: worker.sign(canonicalBytes(unsigned)) };
    expect(checkEntry(json(byOther), ctx())).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE', detail: `not signed by observer ${observer.id}` });
    expect(reasonOf(checkEntry(byWorker, ctx()))).toBe('BAD_SIGNATURE');
    expect(reasonOf(checkEntry({ ...genuine, tally: { ...genuine.tally, invalid: 0 } }, ctx()))).toBe('BAD_SIGNATURE');
    expect(reasonOf(checkEntry(unsigned, ctx()))).toBe('BAD_SIGNATURE');
  });

  it('FUTURE: a clock further ahead than the skew bound', () => {
    expect(reasonOf(checkEntry(reputationOf(observer, worker.id, { wallMs: NOW + SKEW_MS }), ctx()))).toBe('OK');
    expect(reasonOf(checkEntry(reputationOf(observer, worker.id, { wallMs: NOW + SKEW_MS + 1 }), ctx()))).toBe('FUTURE');
  });

  it('EXPIRED: a record whose expiresAtMs has passed', () => {
    expect(reasonOf(checkEntry(reputationOf(observer, worker.id, { wallMs: NOW - 10_000, ttlMs: 10_000 }), ctx()))).toBe('EXPIRED');
    expect(reasonOf(checkEntry(reputationOf(observer, worker.id, { wallMs: NOW - 10_000, ttlMs: 10_001 }), ctx()))).toBe('OK');
  });

  it("REPLAYED: a clock not newer than the record held for that (observer, worker); the held record itself is a duplicate; another observer's record is its own key", () => {
    const held = reputationOf(observer, worker.id, { wallMs: NOW - 1_000, counter: 3, tally: { invalid: 1 } });
    const heldKey = recordKey(held);
    const withHeld = ctx({ held: (key) => (key === heldKey ? recordVersion(held) : undefined) });
    expect(checkEntry(reputationOf(observer, worker.id, { wallMs: NOW - 1_000, counter: 2 }), withHeld)).toMatchObject({ ok: false, reason: 'REPLAYED', duplicate: false });
    expect(checkEntry(held, withHeld)).toMatchObject({ ok: false, reason: 'REPLAYED', duplicate: true });
    expect(reasonOf(checkEntry(reputationOf(observer, worker.id, { wallMs: NOW - 1_000, counter: 4 }), withHeld))).toBe('OK');
    expect(reasonOf(checkEntry(reputationOf(otherObserver, worker.id, { wallMs: NOW - 5_000 }), withHeld))).toBe('OK');
    // The member entry of the worker sits under the worker id, not under the record's key.
    expect(reasonOf(checkEntry(entryOf(worker, { wallMs: NOW - 5_000 }), withHeld))).toBe('OK');
  });

  it(`OVERSIZED: more than ${MAX_ENTRY_BYTES} bytes`, () => {
    const padded = { ...reputationOf(observer, worker.id), pad: 'x'.repeat(MAX_ENTRY_BYTES) };
    expect(reasonOf(checkEntry(json(padded), ctx()))).toBe('OVERSIZED');
    expect(reasonOf(checkEntry(padded, ctx()))).toBe('OVERSIZED');
  });

  it('MALFORMED: a field missing, unknown, out of bounds or of the wrong kind', () => {
    const r = reputationOf(observer, worker.id);
    const { subject: _subject, ...noSubject } = r;
    const { latencyMs: _l, ...noLatency } = r.tally;
    const cases: unknown[] = [
      noSubject,
      { ...r, tally: noLatency },
      { ...r, tally: { ...r.tally, invalid: -1 } },
      { ...r, tally: { ...r.tally, extra: 1 } },
      { ...r, tally: { ...r.tally, late: '1' } },
      { ...r, v: 2 },
      { ...r, observer: r.observer.toUpperCase() },
      { ...r, workerId: worker.id },
      { ...r, expiresAtMs: r.hlc.wallMs },
      { ...r, expiresAtMs: r.hlc.wallMs + REPUTATION_MAX_LIFE_MS + 1 },
      { ...r, kind: 'reputations' },
    ];
    for (const c of cases) expect(reasonOf(checkEntry(c, ctx())), JSON.stringify(c)).toBe('MALFORMED');
  });
});
