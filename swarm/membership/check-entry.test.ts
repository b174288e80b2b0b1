import { describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { checkEntry, type EntryCheck, type EntryCheckContext } from './check-entry.ts';
import { entrySigningBytes, entryVersion, MAX_ENTRY_BYTES, MAX_TTL_MS, signMemberEntry, type MemberEntry } from './member-entry.ts';
import { entryOf, newIdentity, NOW, SKEW_MS } from './test-support/entries.ts';

const worker = newIdentity();
const other = newIdentity();

function ctx(o: Partial<EntryCheckContext> = {}): EntryCheckContext {
  return { nowMs: NOW, maxSkewMs: SKEW_MS, isAdmitted: () => true, ...o };
}

function reasonOf(check: EntryCheck): string {
  return check.ok ? 'OK' : check.reason;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('checking a received membership entry', () => {
  it('keeps a well-signed entry, as bytes, as text or as a parsed object', () => {
    const entry = entryOf(worker);
    for (const received of [json(entry), JSON.stringify(entry), JSON.parse(JSON.stringify(entry)) as unknown]) {
      const check = checkEntry(received, ctx());
      expect(check).toEqual({ ok: true, entry });
    }
  });

  it('keeps a TEE worker with an attestation reference, and an entry that takes near the byte bound', () => {
    const tee = entryOf(worker, { capabilities: { runtime: 'tee', threads: 8, msmBackend: 'wasm', gpu: false, tee: true, attestationRef: 'attestations/'.padEnd(256, 'x'), sealKey: 'ab'.repeat(32) }, operator: 'o'.repeat(64) });
    expect(canonicalBytes(tee).byteLength).toBeLessThan(MAX_ENTRY_BYTES);
    expect(reasonOf(checkEntry(json(tee), ctx()))).toBe('OK');
  });

  it('MALFORMED: not JSON, not an object, a field missing, out of bounds or unknown, a life too long', () => {
    const entry = entryOf(worker);
    const { operator: _operator, ...noOperator } = entry;
    const cases: unknown[] = [
      new TextEncoder().encode('{"v":2,'),
      '[1,2]',
      42,
      { ...noOperator },
      { ...entry, capabilities: { ...entry.capabilities, threads: 0 } },
      { ...entry, capabilities: { ...entry.capabilities, runtime: 'phone' } },
      { ...entry, capabilities: { ...entry.capabilities, attestationRef: 'att/1' } },
      { ...entry, hlc: { ...entry.hlc, counter: -1 } },
      { ...entry, v: 1 },
      { ...entry, workerId: entry.workerId.toUpperCase() },
      { ...entry, extra: 'smuggled' },
      { ...entry, expiresAtMs: entry.hlc.wallMs + MAX_TTL_MS + 1 },
      { ...entry, expiresAtMs: entry.hlc.wallMs },
      { ...entry, score: 1n },
    ];
    for (const c of cases) expect(reasonOf(checkEntry(c, ctx())), JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBe('MALFORMED');
  });

  it(`OVERSIZED: more than ${MAX_ENTRY_BYTES} bytes, checked before parsing`, () => {
    const entry = entryOf(worker);
    const padded = { ...entry, pad: 'x'.repeat(MAX_ENTRY_BYTES) };
    expect(reasonOf(checkEntry(json(padded), ctx()))).toBe('OVERSIZED');
    expect(reasonOf(checkEntry(JSON.stringify(padded), ctx()))).toBe('OVERSIZED');
    expect(reasonOf(checkEntry(padded, ctx()))).toBe('OVERSIZED');
    const notEvenJson = new Uint8Array(MAX_ENTRY_BYTES + 1).fill(0x7b);
    expect(reasonOf(checkEntry(notEvenJson, ctx()))).toBe('OVERSIZED');
  });

  it('BAD_SIGNATURE: unsigned, a field changed after signing, a signature of other bytes', () => {
    const entry = entryOf(worker);
    const { signature, ...unsigned } = entry;
    expect(reasonOf(checkEntry(unsigned, ctx()))).toBe('BAD_SIGNATURE');
    expect(reasonOf(checkEntry({ ...entry, score: 999 }, ctx()))).toBe('BAD_SIGNATURE');
    expect(reasonOf(checkEntry({ ...entry, capabilities: { ...entry.capabilities, gpu: true } }, ctx()))).toBe('BAD_SIGNATURE');
    const flipped = (Number.parseInt(signature[0]!, 16) ^ 1).toString(16) + signature.slice(1);
    expect(reasonOf(checkEntry({ ...entry, signature: flipped }, ctx()))).toBe('BAD_SIGNATURE');
    const otherEntry = entryOf(worker, { score: 1 });
    expect(reasonOf(checkEntry({ ...entry, signature: otherEntry.signature }, ctx()))).toBe('BAD_SIGNATURE');
  });

  it('BAD_SIGNATURE: an entry for one worker signed by another key', () => {
    const genuine = entryOf(worker);
    const { signature: _s, ...unsigned } = genuine;
    const forged: MemberEntry = { ...unsigned, signature: other.sign(entrySigningBytes(unsigned)) };
    const check = checkEntry(json(forged), ctx());
    expect(check).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    // The same key signing its own entry is fine: what matters is that the signer is the worker id.
    expect(reasonOf(checkEntry(json(entryOf(other)), ctx()))).toBe('OK');
  });

  it('NOT_ADMITTED: a well-signed entry of a worker the policy does not admit', () => {
    const admitted = new Set([worker.id]);
    const isAdmitted = (id: string) => admitted.has(id);
    expect(reasonOf(checkEntry(entryOf(worker), ctx({ isAdmitted })))).toBe('OK');
    expect(checkEntry(entryOf(other), ctx({ isAdmitted }))).toMatchObject({ ok: false, reason: 'NOT_ADMITTED', detail: `worker ${other.id} is not admitted` });
  });

  it('FUTURE: a clock further ahead of the replica than the skew bound (and not at the bound)', () => {
    expect(reasonOf(checkEntry(entryOf(worker, { wallMs: NOW + SKEW_MS }), ctx()))).toBe('OK');
    expect(reasonOf(checkEntry(entryOf(worker, { wallMs: NOW + SKEW_MS + 1 }), ctx()))).toBe('FUTURE');
    expect(reasonOf(checkEntry(entryOf(worker, { wallMs: NOW + 3_600_000 }), ctx()))).toBe('FUTURE');
  });

  it('EXPIRED: an entry whose expiresAtMs has passed', () => {
    expect(reasonOf(checkEntry(entryOf(worker, { wallMs: NOW - 60_000, ttlMs: 60_000 }), ctx()))).toBe('EXPIRED');
    expect(reasonOf(checkEntry(entryOf(worker, { wallMs: NOW - 60_000, ttlMs: 60_001 }), ctx()))).toBe('OK');
  });

  it('REPLAYED: a clock not newer than the entry held for that worker; the held entry itself is a duplicate', () => {
    const held = entryOf(worker, { wallMs: NOW - 1_000, counter: 3 });
    const withHeld = ctx({ held: (id) => (id === worker.id ? entryVersion(held) : undefined) });
    expect(checkEntry(entryOf(worker, { wallMs: NOW - 2_000, counter: 9 }), withHeld)).toMatchObject({ ok: false, reason: 'REPLAYED', duplicate: false });
    expect(checkEntry(held, withHeld)).toMatchObject({ ok: false, reason: 'REPLAYED', duplicate: true });
    expect(reasonOf(checkEntry(entryOf(worker, { wallMs: NOW - 1_000, counter: 4 }), withHeld))).toBe('OK');
    expect(reasonOf(checkEntry(entryOf(other, { wallMs: NOW - 5_000 }), withHeld))).toBe('OK');
  });

  it('REPLAYED or kept: two entries signed at one HLC are ordered by their signatures', () => {
    const a = entryOf(worker, { score: 1 });
    const b = entryOf(worker, { score: 2 });
    const [low, high] = a.signature < b.signature ? [a, b] : [b, a];
    expect(reasonOf(checkEntry(high, ctx({ held: () => entryVersion(low) })))).toBe('OK');
    expect(reasonOf(checkEntry(low, ctx({ held: () => entryVersion(high) })))).toBe('REPLAYED');
  });

  it('signing refuses fields out of bounds (a caller bug), and signs as the identity', () => {
    expect(() => signMemberEntry(worker, { operator: '', capabilities: entryOf(worker).capabilities, score: 0, version: '1', hlc: { wallMs: NOW, counter: 0 }, expiresAtMs: NOW + 10_000 })).toThrow();
    expect(entryOf(worker).workerId).toBe(worker.id);
  });
});
