import { status } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIELD_ORDER, loadCrypto, type Crypto } from '../../circuits/model/crypto.ts';
import { intentNullifier, signIntent, type Intent } from '../../circuits/model/intent.ts';
import { devAccount, ownerOf, type Account } from '../../circuits/model/keys.ts';
import { DREX_BRL } from '../../circuits/sample/sample-transfer.ts';
import { wireIntentOf } from '../../cli/bank/wire-intent.ts';
import { batchSigningBytes } from '../../protocol/bank-request-signing.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import { devBankIdentity, devBankRegistry } from '../banks/bank-registry.ts';
import { ApiError } from './api-error.ts';
import { batchIdOf, DEFAULT_LIMITS, signedIntentView, validateSubmit, type SubmitBatchWire, type SubmitLimits, type ValidatedBatch, type WireIntent } from './validate-submit.ts';

// Pure unit tests of the SubmitBatch boundary checks: no NATS, no Redis, no swarm.

const NOW = 1_760_000_000_000;
const KEY = 'unit-test:batch_1.a-b';
const NONCE = '00112233445566778899aabbccddeeff';
const banks = devBankRegistry();
const bankA = devBankIdentity('bank-a');
const bankB = devBankIdentity('bank-b');
/** The deployment's domain every intent here is signed in. */
const DOMAIN = 0x5eed_d0_a1n;

let crypto: Crypto;
let alice: Account;
let bob: Account;
let carol: Account;
/** Two valid intents: alice -> bob (nonce 1), carol -> bob (nonce 1). */
let t0: WireIntent;
let t1: WireIntent;

beforeAll(async () => {
  crypto = await loadCrypto();
  alice = devAccount(crypto, 'validate-submit/alice');
  bob = devAccount(crypto, 'validate-submit/bob');
  carol = devAccount(crypto, 'validate-submit/carol');
  t0 = intent(alice, { recipient: bob.owner, amount: 1_500n, nonce: 1n });
  t1 = intent(carol, { recipient: bob.owner, amount: 42n, nonce: 1n });
});

function intent(from: Account, i: Partial<Intent> = {}, domain = DOMAIN): WireIntent {
  const nonce = i.nonce ?? 7n;
  return wireIntentOf(signIntent(crypto, from, domain, { kind: 'transfer', sender: from.owner, recipient: bob.owner, amount: 100n, asset: DREX_BRL, nonce, seed: 1_000n + nonce, ...i }));
}

const clone = <T>(x: T): T => structuredClone(x);

interface RequestParts {
  bankId?: string;
  key?: string;
  timestampMs?: string | number;
  nonce?: string;
  transfers?: unknown[];
  /** Who signs the request (default: the bank named in it, when it is a dev bank). */
  signer?: Identity | null;
}

/** A SubmitBatch request as proto-loader delivers it, signed by `signer` over exactly its content. */
function request(p: RequestParts = {}): SubmitBatchWire {
  const bankId = p.bankId ?? 'bank-a';
  const idempotencyKey = p.key ?? KEY;
  const timestampMs = p.timestampMs ?? String(NOW);
  const transfers = p.transfers ?? [t0, t1];
  const nonce = p.nonce ?? NONCE;
  const signer = p.signer === undefined ? devBankIdentity(bankId) : p.signer;
  const req: SubmitBatchWire = { bank_id: bankId, idempotency_key: idempotencyKey, timestamp_ms: timestampMs, nonce, transfers: transfers as Partial<WireIntent>[] };
  if (signer) {
    const bytes = batchSigningBytes({ bankId, idempotencyKey, timestampMs: String(timestampMs), nonce, transfers: signedIntentView(transfers) });
    req.signature = Buffer.from(signer.sign(bytes), 'hex');
  }
  return req;
}

/** The request with its transfer `i` replaced by `patch(copy of it)`, re-signed by the bank. */
function withTransfer(i: number, patch: (t: any) => unknown, base: unknown[] = [t0, t1]): SubmitBatchWire {
  const transfers = clone(base) as unknown[];
  transfers[i] = patch(transfers[i]);
  return request({ transfers });
}

type Opts = Partial<Parameters<typeof validateSubmit>[3]>;

function validate(req: SubmitBatchWire, opts: Opts = {}): ValidatedBatch {
  return validateSubmit(crypto, banks, req, { domain: DOMAIN, now: NOW, ...opts });
}

/** The ApiError that validation of `req` throws (fails the test when it passes or throws anything else). */
function refusal(req: SubmitBatchWire, opts: Opts = {}): ApiError {
  let out: ValidatedBatch;
  try {
    out = validate(req, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error(`expected a refusal, the request passed as batch ${out.batchId}`);
}

const invalidField = (field: string, code: ErrorCode = ErrorCode.INVALID_FIELD) => ({ status: status.INVALID_ARGUMENT, code, field });
const expired = { status: status.UNAUTHENTICATED, code: ErrorCode.REQUEST_EXPIRED, field: 'timestamp_ms' };

describe('validateSubmit: a valid request', () => {
  it('passes and yields the normalized batch', () => {
    const v = validate(request());
    expect(v.bankId).toBe('bank-a');
    expect(v.idempotencyKey).toBe(KEY);
    expect(v.batchId).toBe(batchIdOf('dev', 'bank-a', KEY));
    expect(v.batchId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(v.intents).toEqual([t0, t1]);
    expect(v.intentNullifiers).toEqual([
      String(intentNullifier(crypto, alice.nk, 1n)),
      String(intentNullifier(crypto, carol.nk, 1n)),
    ]);
    const unstamped = batchSigningBytes({ bankId: 'bank-a', idempotencyKey: KEY, timestampMs: '', nonce: '', transfers: [t0, t1] });
    expect(v.requestHash).toBe(createHash('sha256').update(unstamped).digest('hex'));
    expect(v.requestNonce).toBe(NONCE);
  });

  it('derives the batch id from (bank, idempotency key) only', () => {
    expect(batchIdOf('dev', 'bank-a', KEY)).toBe(`0x${createHash('sha256').update(`drex.swarm.v1.batch\0dev\0bank-a\0${KEY}`).digest('hex')}`);
    expect(batchIdOf('c1337-0a1b2c3d', 'bank-a', KEY)).not.toBe(batchIdOf('dev', 'bank-a', KEY));
    const a = validate(request());
    expect(validate(request({ transfers: [t1] })).batchId).toBe(a.batchId);
    expect(validate(request({ bankId: 'bank-b' })).batchId).not.toBe(a.batchId);
    expect(validate(request({ key: 'other-key' })).batchId).not.toBe(a.batchId);
  });

  it('gives a retry with another timestamp and nonce the same request hash, and other transfers another one', () => {
    const a = validate(request());
    const later = validate(request({ timestampMs: String(NOW + 60_000), nonce: 'another-nonce-0123456' }), { now: NOW + 60_000 });
    expect(later.requestHash).toBe(a.requestHash);
    expect(later.batchId).toBe(a.batchId);
    expect(validate(request({ transfers: [t0] })).requestHash).not.toBe(a.requestHash);
    expect(validate(request({ transfers: [t1, t0] })).requestHash).not.toBe(a.requestHash);
    expect(validate(request({ key: 'other-key' })).requestHash).not.toBe(a.requestHash);
  });

  it('accepts the timestamp as a number (a long proto-loader did not stringify)', () => {
    const v = validate(request({ timestampMs: NOW }));
    expect(v.requestHash).toBe(validate(request()).requestHash);
  });

  it('keeps only the fields of a transfer intent', () => {
    const extra = { ...clone(t0), memo: 'hello', signature: { ...t0.signature, extra: 1 } };
    const v = validate(request({ transfers: [extra, t1] }));
    expect(v.intents[0]).toEqual(t0);
    expect(Object.keys(v.intents[0]!).sort()).toEqual(['amount', 'asset', 'auth', 'kind', 'nonce', 'recipient', 'seed', 'sender', 'signature']);
  });

  it('accepts the same nonce from different senders and different nonces from one sender', () => {
    const a2 = intent(alice, { nonce: 2n });
    const v = validate(request({ transfers: [t0, t1, a2] }));
    expect(new Set(v.intentNullifiers).size).toBe(3);
  });

  it('needs no request signature when mTLS authenticated the bank', () => {
    const req = request({ signer: null });
    expect(validate(req, { tlsBankId: 'bank-a' }).batchId).toBe(batchIdOf('dev', 'bank-a', KEY));
    // Nor a nonce: there is none to claim.
    const { nonce: _, ...withoutNonce } = req;
    expect(validate(withoutNonce, { tlsBankId: 'bank-a' }).requestNonce).toBeUndefined();
    // A wrong signature is not looked at either: the certificate is the authentication.
    const wrong = request({ signer: bankB });
    expect(validate(wrong, { tlsBankId: 'bank-a' }).bankId).toBe('bank-a');
  });

  it('has the documented default limits', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxTransfers: 256, maxClockSkewMs: 300_000 });
  });
});

describe('validateSubmit: the bank', () => {
  it('refuses an unknown or missing bank id as UNKNOWN_BANK (unauthenticated)', () => {
    const unknown = refusal(request({ bankId: 'bank-z', signer: bankA }));
    expect(unknown).toMatchObject({ status: status.UNAUTHENTICATED, code: ErrorCode.UNKNOWN_BANK, field: 'bank_id' });
    expect(unknown.message).toContain('"bank-z"');
    const missing = request();
    delete missing.bank_id;
    expect(refusal(missing)).toMatchObject({ status: status.UNAUTHENTICATED, code: ErrorCode.UNKNOWN_BANK, field: 'bank_id' });
    expect(refusal(request({ bankId: '', signer: bankA }))).toMatchObject({ code: ErrorCode.UNKNOWN_BANK });
    // Lookups are exact: no case folding, no prototype keys.
    expect(refusal(request({ bankId: 'BANK-A', signer: bankA })).code).toBe(ErrorCode.UNKNOWN_BANK);
    expect(refusal(request({ bankId: '__proto__', signer: bankA })).code).toBe(ErrorCode.UNKNOWN_BANK);
  });

  it('quotes at most 64 characters of an unknown bank id', () => {
    const long = `x${'y'.repeat(500)}`;
    const e = refusal(request({ bankId: long, signer: bankA }));
    expect(e.message).toContain(`"${long.slice(0, 64)}"`);
    expect(e.message).not.toContain(long.slice(0, 65));
  });

  it('refuses a request whose client certificate belongs to another bank (permission denied)', () => {
    expect(refusal(request(), { tlsBankId: 'bank-b' })).toMatchObject({ status: status.PERMISSION_DENIED, code: ErrorCode.UNKNOWN_BANK, field: 'bank_id' });
    // The bank must be registered even under mTLS.
    expect(refusal(request({ bankId: 'bank-z', signer: null }), { tlsBankId: 'bank-z' })).toMatchObject({ status: status.UNAUTHENTICATED, code: ErrorCode.UNKNOWN_BANK });
  });
});

describe('validateSubmit: the bank signature', () => {
  const badSig = { status: status.UNAUTHENTICATED, code: ErrorCode.BAD_BANK_SIGNATURE, field: 'signature' };

  it('requires a 64-byte signature', () => {
    expect(refusal(request({ signer: null }))).toMatchObject(badSig);
    const req = request();
    expect(refusal({ ...req, signature: new Uint8Array(0) })).toMatchObject(badSig);
    expect(refusal({ ...req, signature: req.signature!.subarray(0, 63) })).toMatchObject(badSig);
    expect(refusal({ ...req, signature: Buffer.concat([req.signature!, Buffer.from([0])]) })).toMatchObject(badSig);
    expect(refusal({ ...req, signature: new Uint8Array(64) })).toMatchObject(badSig);
  });

  it('refuses a signature by another key, even another registered bank', () => {
    const e = refusal(request({ signer: bankB }));
    expect(e).toMatchObject(badSig);
    expect(e.message).toContain('not a signature of bank "bank-a"');
  });

  it('refuses a signature with one bit flipped', () => {
    const req = request();
    const sig = Buffer.from(req.signature!);
    sig[10] = sig[10]! ^ 0x01;
    expect(refusal({ ...req, signature: sig })).toMatchObject(badSig);
  });

  it('refuses a request changed after it was signed', () => {
    const req = request();
    expect(refusal({ ...req, idempotency_key: 'another-key' })).toMatchObject(badSig);
    expect(refusal({ ...req, timestamp_ms: String(NOW + 1) })).toMatchObject(badSig);
    expect(refusal({ ...req, nonce: 'ffeeddccbbaa99887766554433221100' })).toMatchObject(badSig);
    expect(refusal({ ...req, transfers: [t0] })).toMatchObject(badSig);
    expect(refusal({ ...req, transfers: [t1, t0] })).toMatchObject(badSig);
    expect(refusal({ ...req, transfers: [{ ...t0, amount: '1501' }, t1] })).toMatchObject(badSig);
    expect(refusal({ ...req, transfers: [t0, { ...t1, auth: { ...t1.auth, nk: '1' } }] })).toMatchObject(badSig);
    // Replayed to another bank id (with that bank's registration): not that bank's signature.
    expect(refusal({ ...req, bank_id: 'bank-b' })).toMatchObject(badSig);
  });
});

describe('validateSubmit: sizes', () => {
  it('refuses a batch without transfers as EMPTY_BATCH', () => {
    expect(refusal(request({ transfers: [] }))).toMatchObject(invalidField('transfers', ErrorCode.EMPTY_BATCH));
    const missing = request();
    delete missing.transfers;
    expect(refusal(missing)).toMatchObject(invalidField('transfers', ErrorCode.EMPTY_BATCH));
  });

  it('accepts exactly maxTransfers transfers and refuses one more as BATCH_TOO_LARGE', () => {
    const limits: SubmitLimits = { ...DEFAULT_LIMITS, maxTransfers: 2 };
    expect(validate(request({ transfers: [t0, t1] }), { limits }).intents).toHaveLength(2);
    const t2 = intent(alice, { nonce: 2n });
    const e = refusal(request({ transfers: [t0, t1, t2] }), { limits });
    expect(e).toMatchObject(invalidField('transfers', ErrorCode.BATCH_TOO_LARGE));
    expect(e.message).toContain('at most 2 transfers, got 3');
  });

  it('applies the default limit of 256 before any other check of the transfers', () => {
    // 257 copies of one intent, unsigned: the size is what is refused.
    const tooMany = Array.from({ length: 257 }, () => t0);
    expect(refusal(request({ transfers: tooMany, signer: null }))).toMatchObject(invalidField('transfers', ErrorCode.BATCH_TOO_LARGE));
    // 256 pass the size check (and are then refused for their repeated nonce, not their number).
    const atLimit = Array.from({ length: 256 }, () => t0);
    expect(refusal(request({ transfers: atLimit }))).toMatchObject(invalidField('transfers[1].nonce', ErrorCode.DUPLICATE_NONCE));
  });
});

describe('validateSubmit: the idempotency key', () => {
  it('accepts 1 to 128 characters of [A-Za-z0-9._:-]', () => {
    for (const key of ['a', 'Z', '0', 'AZaz09._:-', 'k'.repeat(128)]) {
      expect(validate(request({ key })).idempotencyKey).toBe(key);
    }
  });

  it('refuses a missing, empty, too long or oddly spelled key as INVALID_FIELD', () => {
    const missing = request();
    delete missing.idempotency_key;
    expect(refusal(missing)).toMatchObject(invalidField('idempotency_key'));
    for (const key of ['', 'k'.repeat(129), 'a b', 'a/b', 'a+b', 'a@b', 'ação', 'key\n', '\nkey', 'key\0', 'ﬀ', '🔑']) {
      expect(refusal(request({ key })), JSON.stringify(key)).toMatchObject(invalidField('idempotency_key'));
    }
  });
});

describe('validateSubmit: the request nonce', () => {
  it('requires 16..64 characters of [A-Za-z0-9_-] when the request is signed', () => {
    for (const nonce of ['a'.repeat(16), 'Z_-9'.repeat(16)]) expect(validate(request({ nonce })).requestNonce).toBe(nonce);
    const missing = request();
    delete missing.nonce;
    expect(refusal(missing)).toMatchObject(invalidField('nonce'));
    for (const nonce of ['', 'a'.repeat(15), 'a'.repeat(65), 'nonce with spaces!', 'ñ'.repeat(16), 'a.b.c.d.e.f.g.h.i']) {
      expect(refusal(request({ nonce })), nonce).toMatchObject(invalidField('nonce'));
    }
  });
});

describe('validateSubmit: the timestamp', () => {
  it('requires epoch milliseconds as up to 16 digits', () => {
    const missing = request();
    delete missing.timestamp_ms;
    expect(refusal(missing)).toMatchObject(invalidField('timestamp_ms'));
    for (const ts of ['', '-1', '+1760000000000', '1.5', '1e12', ' 1760000000000', '0x1', 'now', '1'.repeat(17), -1, 1.5, 1e21]) {
      expect(refusal(request({ timestampMs: ts })), String(ts)).toMatchObject(invalidField('timestamp_ms'));
    }
  });

  it('accepts a skew of exactly maxClockSkewMs either way and refuses one more millisecond as REQUEST_EXPIRED', () => {
    const skew = DEFAULT_LIMITS.maxClockSkewMs;
    expect(validate(request({ timestampMs: String(NOW - skew) })).bankId).toBe('bank-a');
    expect(validate(request({ timestampMs: String(NOW + skew) })).bankId).toBe('bank-a');
    expect(refusal(request({ timestampMs: String(NOW - skew - 1) }))).toMatchObject(expired);
    expect(refusal(request({ timestampMs: String(NOW + skew + 1) }))).toMatchObject(expired);
    expect(refusal(request({ timestampMs: '0' }))).toMatchObject(expired);
  });

  it('honours a configured skew limit', () => {
    const limits: SubmitLimits = { ...DEFAULT_LIMITS, maxClockSkewMs: 1_000 };
    expect(validate(request({ timestampMs: String(NOW - 1_000) }), { limits }).bankId).toBe('bank-a');
    expect(refusal(request({ timestampMs: String(NOW - 1_001) }), { limits })).toMatchObject(expired);
  });
});

describe('validateSubmit: the fields of a transfer', () => {
  const paths = ['sender', 'recipient', 'amount', 'asset', 'nonce', 'seed', 'signature.r8x', 'signature.r8y', 'signature.s', 'auth.ax', 'auth.ay', 'auth.nk'] as const;

  function set(t: any, path: string, value: unknown): unknown {
    const [a, b] = path.split('.') as [string, string | undefined];
    if (b === undefined) {
      if (value === undefined) delete t[a];
      else t[a] = value;
    } else if (value === undefined) delete t[a][b];
    else t[a][b] = value;
    return t;
  }

  it('refuses a transfer that is not an object', () => {
    for (const bad of [null, 'transfer', 7]) {
      expect(refusal(withTransfer(1, () => bad)), String(bad)).toMatchObject(invalidField('transfers[1]'));
    }
  });

  it('requires the signature and auth objects', () => {
    expect(refusal(withTransfer(1, (t) => ({ ...t, signature: undefined })))).toMatchObject(invalidField('transfers[1].signature'));
    expect(refusal(withTransfer(1, (t) => ({ ...t, auth: undefined })))).toMatchObject(invalidField('transfers[1].auth'));
    expect(refusal(withTransfer(0, (t) => ({ ...t, auth: null })))).toMatchObject(invalidField('transfers[0].auth'));
  });

  it('requires every field, naming its path', () => {
    for (const p of paths) {
      const e = refusal(withTransfer(1, (t) => set(t, p, undefined)));
      expect(e, p).toMatchObject(invalidField(`transfers[1].${p}`));
      expect(e.message).toContain('is required');
      expect(refusal(withTransfer(1, (t) => set(t, p, ''))), p).toMatchObject(invalidField(`transfers[1].${p}`));
    }
  });

  it('refuses values that are not canonical decimal strings: hex, signs, leading zeros, spaces, numbers', () => {
    const bad: unknown[] = ['0x1f', '1f', '+5', '-0', '007', '00', ' 5', '5 ', '5\n', '1.0', '1e3', '1_000', '５', '٥', 5, 5n, true, {}, ['5']];
    for (const p of paths) {
      for (const v of bad) {
        expect(refusal(withTransfer(0, (t) => set(t, p, v))), `${p} = ${String(v)}`).toMatchObject(invalidField(`transfers[0].${p}`));
      }
    }
  });

  it('refuses values at or above the BN254 field order, and accepts FIELD_ORDER - 1', () => {
    const top = FIELD_ORDER - 1n;
    expect(String(FIELD_ORDER)).toHaveLength(77);
    for (const p of paths.filter((x) => x !== 'amount')) {
      const at = refusal(withTransfer(0, (t) => set(t, p, String(FIELD_ORDER))));
      expect(at, p).toMatchObject(invalidField(`transfers[0].${p}`));
      expect(at.message).toContain('below the BN254 field order');
      expect(refusal(withTransfer(0, (t) => set(t, p, '9'.repeat(77)))), p).toMatchObject(invalidField(`transfers[0].${p}`));
      expect(refusal(withTransfer(0, (t) => set(t, p, `1${'0'.repeat(77)}`))), p).toMatchObject(invalidField(`transfers[0].${p}`));
    }
    // The largest field element in every free field of a signed intent passes.
    const edge = intent(alice, { recipient: top, asset: top, nonce: top, seed: top });
    const v = validate(request({ transfers: [edge] }));
    expect(v.intents[0]).toMatchObject({ recipient: String(top), asset: String(top), nonce: String(top), seed: String(top) });
    expect(v.intentNullifiers).toEqual([String(intentNullifier(crypto, alice.nk, top))]);
  });

  it('quotes at most 80 characters of a refused value', () => {
    const long = 'z'.repeat(5_000);
    const e = refusal(withTransfer(0, (t) => set(t, 'recipient', long)));
    expect(e.message).toContain(`"${'z'.repeat(80)}"`);
    expect(e.message).not.toContain('z'.repeat(81));
  });

  it('accepts amounts 1 .. 2^64 - 1 and refuses 0, negative ones and 2^64 or more', () => {
    const max = (1n << 64n) - 1n;
    expect(validate(request({ transfers: [intent(alice, { amount: 1n })] })).intents[0]!.amount).toBe('1');
    expect(validate(request({ transfers: [intent(alice, { amount: max })] })).intents[0]!.amount).toBe(String(max));
    const amount = (v: string) => refusal(withTransfer(0, (t) => set(t, 'amount', v)));
    expect(amount('0')).toMatchObject(invalidField('transfers[0].amount'));
    expect(amount('0').message).toContain('must be positive');
    expect(amount('-5').message).toContain('must not be negative');
    expect(amount(String(1n << 64n)).message).toContain('below 2^64');
    expect(amount(String((1n << 64n) + 1n)).message).toContain('below 2^64');
    expect(amount(String(FIELD_ORDER - 1n)).message).toContain('below 2^64');
    expect(amount(String(FIELD_ORDER)).message).toContain('below the BN254 field order');
  });

  it('requires the kind, naming its path, and accepts only "transfer", "deposit" or "withdraw"', () => {
    for (const missing of [undefined, '']) {
      const e = refusal(withTransfer(1, (t) => set(t, 'kind', missing)));
      expect(e).toMatchObject(invalidField('transfers[1].kind'));
      expect(e.message).toContain('is required');
    }
    for (const bad of ['Transfer', 'mint', 'burn', 'transfer ', '0', 'toString', '__proto__', 0, 1, true, {}, ['transfer']]) {
      const e = refusal(withTransfer(0, (t) => set(t, 'kind', bad)));
      expect(e, String(bad)).toMatchObject(invalidField('transfers[0].kind'));
      if (typeof bad === 'string' && bad) expect(e.message).toContain('must be "transfer", "deposit" or "withdraw"');
    }
    // The kind is checked before the other fields of its transfer.
    expect(refusal(withTransfer(0, (t) => ({ ...t, kind: 'mint', amount: '0' }))).field).toBe('transfers[0].kind');
  });

  it('accepts a deposit and a withdrawal, and needs recipient "0" exactly for a withdrawal', () => {
    const deposit = intent(alice, { kind: 'deposit', nonce: 3n });
    const withdraw = intent(alice, { kind: 'withdraw', recipient: 0n, nonce: 4n });
    const v = validate(request({ transfers: [t0, deposit, withdraw] }));
    expect(v.intents.map((t) => t.kind)).toEqual(['transfer', 'deposit', 'withdraw']);
    expect(v.intents[2]).toMatchObject({ recipient: '0', seed: '1004' });
    expect(v.intentNullifiers[2]).toBe(String(intentNullifier(crypto, alice.nk, 4n)));
    const toSomeone = refusal(request({ transfers: [intent(alice, { kind: 'withdraw', recipient: bob.owner })] }));
    expect(toSomeone).toMatchObject(invalidField('transfers[0].recipient'));
    expect(toSomeone.message).toContain('must be "0" for a withdrawal');
    for (const kind of ['transfer', 'deposit'] as const) {
      const e = refusal(request({ transfers: [intent(alice, { kind, recipient: 0n })] }));
      expect(e, kind).toMatchObject(invalidField('transfers[0].recipient'));
      expect(e.message).toContain(`must not be "0" for a ${kind}`);
    }
  });

  it('refuses a deposit or withdrawal by anyone but the minter as NOT_MINTER, when the minter is known', () => {
    const deposit = intent(alice, { kind: 'deposit', nonce: 3n });
    const withdraw = intent(carol, { kind: 'withdraw', recipient: 0n, nonce: 4n });
    const minter = { minter: alice.owner };
    expect(validate(request({ transfers: [t0, deposit] }), minter).intents).toHaveLength(2);
    // A transfer needs no minter; the minter's own kinds pass.
    expect(validate(request({ transfers: [t1] }), minter).intents).toHaveLength(1);
    const e = refusal(request({ transfers: [deposit, withdraw] }), minter);
    expect(e).toMatchObject(invalidField('transfers[1].sender', ErrorCode.NOT_MINTER));
    expect(e.message).toContain('only the minter may withdraw');
    const d = refusal(request({ transfers: [intent(carol, { kind: 'deposit', nonce: 5n })] }), minter);
    expect(d).toMatchObject(invalidField('transfers[0].sender', ErrorCode.NOT_MINTER));
  });

  it('names the first offending transfer', () => {
    const e = refusal(request({ transfers: [t0, t1, { ...clone(t0), nonce: 'x' }, { ...clone(t1), amount: '0' }] }));
    expect(e.field).toBe('transfers[2].nonce');
  });
});

describe('validateSubmit: duplicates within a batch', () => {
  it('refuses a repeated intent as DUPLICATE_NONCE on the later one', () => {
    const e = refusal(request({ transfers: [t0, t1, t0] }));
    expect(e).toMatchObject(invalidField('transfers[2].nonce', ErrorCode.DUPLICATE_NONCE));
    expect(e.message).toContain('transfers[0]');
  });

  it('refuses two different intents of one sender with the same nonce', () => {
    const again = intent(alice, { recipient: carol.owner, amount: 9n, nonce: 1n });
    expect(refusal(request({ transfers: [t0, again] }))).toMatchObject(invalidField('transfers[1].nonce', ErrorCode.DUPLICATE_NONCE));
  });

  it('refuses two intents with the same intent nullifier, even from different senders', () => {
    // An owner key built with alice's nullifier key (which banks and delegated provers see): another
    // sender, but Poseidon(nk, nonce) collides with alice's intent. The planner would refuse the whole
    // batch (INTENT_REPLAYED) after it was accepted, so the boundary must refuse it.
    const twin = devAccount(crypto, 'validate-submit/mallory');
    const auth = { Ax: twin.Ax, Ay: twin.Ay, nk: alice.nk };
    const mallory: Account = { ...auth, sk: twin.sk, owner: ownerOf(crypto, auth) };
    const m = intent(mallory, { recipient: bob.owner, nonce: 1n });
    expect(m.sender).not.toBe(t0.sender);
    const e = refusal(request({ transfers: [t0, t1, m] }));
    expect(e).toMatchObject(invalidField('transfers[2].nonce', ErrorCode.DUPLICATE_NONCE));
  });
});

describe('validateSubmit: the owners\' intent signatures', () => {
  const badIntent = (i: number) => invalidField(`transfers[${i}].signature`, ErrorCode.BAD_INTENT_SIGNATURE);

  it('refuses an intent changed after its owner signed it (the bank signing the changed request)', () => {
    for (const [p, v] of [['amount', '1501'], ['recipient', String(carol.owner)], ['asset', '1'], ['nonce', '2'], ['seed', '7'], ['kind', 'deposit']] as const) {
      expect(refusal(withTransfer(1, (t) => ({ ...t, [p]: v }))), p).toMatchObject(badIntent(1));
    }
  });

  it('refuses an intent signed in another domain (another deployment), and accepts it in its own', () => {
    const elsewhere = intent(alice, { nonce: 5n }, DOMAIN + 1n);
    const e = refusal(request({ transfers: [t0, elsewhere] }));
    expect(e).toMatchObject(badIntent(1));
    expect(e.message).toContain('in this domain');
    expect(validate(request({ transfers: [elsewhere] }), { domain: DOMAIN + 1n }).intents).toHaveLength(1);
    expect(refusal(request(), { domain: DOMAIN + 1n })).toMatchObject(badIntent(0));
  });

  it('refuses another intent\'s signature', () => {
    expect(refusal(withTransfer(1, (t) => ({ ...t, signature: t0.signature })))).toMatchObject(badIntent(1));
  });

  it('refuses a proof authorization that does not belong to the sender', () => {
    const e = refusal(withTransfer(0, (t) => ({ ...t, auth: t1.auth })));
    expect(e).toMatchObject(badIntent(0));
    expect(e.message).toContain('does not belong to the intent sender');
    expect(refusal(withTransfer(0, (t) => ({ ...t, auth: { ...t.auth, nk: '1' } })))).toMatchObject(badIntent(0));
  });

  it('refuses malformed signature values (R8 off the curve, S out of range) without crashing', () => {
    expect(refusal(withTransfer(0, (t) => ({ ...t, signature: { ...t.signature, r8x: '1', r8y: '1' } })))).toMatchObject(badIntent(0));
    expect(refusal(withTransfer(0, (t) => ({ ...t, signature: { r8x: '0', r8y: '1', s: '0' } })))).toMatchObject(badIntent(0));
    expect(refusal(withTransfer(0, (t) => ({ ...t, signature: { ...t.signature, s: String(FIELD_ORDER - 1n) } })))).toMatchObject(badIntent(0));
    expect(refusal(withTransfer(0, (t) => ({ ...t, signature: { ...t.signature, s: String(BigInt(t.signature.s) + 1n) } })))).toMatchObject(badIntent(0));
  });
});

describe('ApiError', () => {
  it('carries its code and field to the gRPC trailers', () => {
    const e = refusal(request({ transfers: [] }));
    const se = e.toServiceError();
    expect(se.code).toBe(status.INVALID_ARGUMENT);
    expect(se.details).toBe('[EMPTY_BATCH] transfers: a batch needs at least one transfer');
    expect(se.metadata.get('drex-error-code')).toEqual(['EMPTY_BATCH']);
    expect(se.metadata.get('drex-field')).toEqual(['transfers']);
  });
});
