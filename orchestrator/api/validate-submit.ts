import { status } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { batchSigningBytes, type WireIntent } from '../../protocol/bank-request-signing.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { FIELD_ORDER } from '../../protocol/messages/fields.ts';
import type { Crypto } from '../../circuits/model/crypto.ts';
import { intentNullifier, KIND_CODE, verifyIntentSignature, type IntentKind, type SignedIntent } from '../../circuits/model/intent.ts';
import { TransferRejectedError } from '../../circuits/model/errors.ts';
import type { BankRegistry } from '../banks/bank-registry.ts';
import { ApiError } from './api-error.ts';
import { checkBankSignature, checkFreshness, nonceOf, timestampOf } from './signed-request.ts';
import { DEFAULT_DEPLOYMENT } from '../../protocol/subjects.ts';

export type { WireIntent };

/** SubmitBatchRequest as @grpc/proto-loader delivers it (keepCase, longs as strings). */
export interface SubmitBatchWire {
  bank_id?: string;
  idempotency_key?: string;
  transfers?: Partial<WireIntent>[];
  timestamp_ms?: string | number;
  nonce?: string;
  signature?: Uint8Array;
}

/** A request that passed every boundary check, ready to persist. */
export interface ValidatedBatch {
  batchId: string;
  bankId: string;
  idempotencyKey: string;
  /** sha256 of the signed content without its timestamp and nonce: a retry with the same key must carry the same transfers. */
  requestHash: string;
  intents: WireIntent[];
  /** Poseidon(2, nk, nonce) of each intent, in order. */
  intentNullifiers: string[];
  /** The request's nonce when it was authenticated by its signature (to be claimed against replays); none over mTLS. */
  requestNonce?: string;
}

export interface SubmitLimits {
  maxTransfers: number;
  /** Largest allowed distance between the request's timestamp and the server clock. */
  maxClockSkewMs: number;
}

export const DEFAULT_LIMITS: SubmitLimits = { maxTransfers: 256, maxClockSkewMs: 5 * 60_000 };

const AMOUNT_BOUND = 1n << 64n;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

const invalid = (field: string, message: string, code: ErrorCode = ErrorCode.INVALID_FIELD) =>
  new ApiError(status.INVALID_ARGUMENT, code, message, field);

/**
 * The deterministic batch id of (deployment, bank, idempotency key): 0x + sha256. The deployment makes
 * ids unique per settlement contract, so one deployment's batch never answers for another's on chain.
 */
export function batchIdOf(deployment: string, bankId: string, idempotencyKey: string): string {
  return `0x${createHash('sha256').update(`drex.swarm.v1.batch\0${deployment}\0${bankId}\0${idempotencyKey}`).digest('hex')}`;
}

function fieldElement(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, 'is required (a decimal string)');
  if (!/^(0|[1-9]\d{0,76})$/.test(value)) throw invalid(field, `must be a decimal integer without sign or leading zeros, got "${value.slice(0, 80)}"`);
  if (BigInt(value) >= FIELD_ORDER) throw invalid(field, 'must be below the BN254 field order');
  return value;
}

function amountOf(value: unknown, field: string): string {
  if (typeof value === 'string' && /^-\d+$/.test(value)) throw invalid(field, `must not be negative, got ${value}`);
  const s = fieldElement(value, field);
  const n = BigInt(s);
  if (n === 0n) throw invalid(field, 'must be positive');
  if (n >= AMOUNT_BOUND) throw invalid(field, `must be below 2^64, got ${s}`);
  return s;
}

function kindOf(value: unknown, field: string): IntentKind {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, 'is required: "transfer", "deposit" or "withdraw"');
  if (!Object.hasOwn(KIND_CODE, value)) throw invalid(field, `must be "transfer", "deposit" or "withdraw", got "${value.slice(0, 32)}"`);
  return value as IntentKind;
}

function intentOf(t: Partial<WireIntent> | undefined, i: number): WireIntent {
  const f = `transfers[${i}]`;
  if (!t || typeof t !== 'object') throw invalid(f, 'is not a transfer intent');
  if (!t.signature) throw invalid(`${f}.signature`, 'is required');
  if (!t.auth) throw invalid(`${f}.auth`, 'is required');
  const kind = kindOf(t.kind, `${f}.kind`);
  const recipient = fieldElement(t.recipient, `${f}.recipient`);
  if (kind === 'withdraw' && recipient !== '0') throw invalid(`${f}.recipient`, 'must be "0" for a withdrawal');
  if (kind !== 'withdraw' && recipient === '0') throw invalid(`${f}.recipient`, `must not be "0" for a ${kind} (only a withdrawal has no recipient)`);
  return {
    kind,
    sender: fieldElement(t.sender, `${f}.sender`),
    recipient,
    amount: amountOf(t.amount, `${f}.amount`),
    asset: fieldElement(t.asset, `${f}.asset`),
    nonce: fieldElement(t.nonce, `${f}.nonce`),
    seed: fieldElement(t.seed, `${f}.seed`),
    signature: {
      r8x: fieldElement(t.signature.r8x, `${f}.signature.r8x`),
      r8y: fieldElement(t.signature.r8y, `${f}.signature.r8y`),
      s: fieldElement(t.signature.s, `${f}.signature.s`),
    },
    auth: {
      ax: fieldElement(t.auth.ax, `${f}.auth.ax`),
      ay: fieldElement(t.auth.ay, `${f}.auth.ay`),
      nk: fieldElement(t.auth.nk, `${f}.auth.nk`),
    },
  };
}

/** The model's signed intent of a (validated) wire intent in `domain`. */
export function signedIntentOf(w: WireIntent, domain: bigint): SignedIntent {
  return {
    domain,
    intent: {
      kind: w.kind as IntentKind,
      sender: BigInt(w.sender),
      recipient: BigInt(w.recipient),
      amount: BigInt(w.amount),
      asset: BigInt(w.asset),
      nonce: BigInt(w.nonce),
      seed: BigInt(w.seed),
    },
    signature: { R8x: BigInt(w.signature.r8x), R8y: BigInt(w.signature.r8y), S: BigInt(w.signature.s) },
    auth: { Ax: BigInt(w.auth.ax), Ay: BigInt(w.auth.ay), nk: BigInt(w.auth.nk) },
  };
}

/**
 * The intents as the bank signed them: every field as a string ('' when absent), so a request signs
 * and verifies over the same canonical bytes whatever the wire held.
 */
export function signedIntentView(transfers: readonly unknown[]): WireIntent[] {
  return (transfers as (Partial<Record<string, any>> | null | undefined)[]).map((t) => ({
    kind: String(t?.kind ?? ''),
    sender: String(t?.sender ?? ''),
    recipient: String(t?.recipient ?? ''),
    amount: String(t?.amount ?? ''),
    asset: String(t?.asset ?? ''),
    nonce: String(t?.nonce ?? ''),
    seed: String(t?.seed ?? ''),
    signature: { r8x: String(t?.signature?.r8x ?? ''), r8y: String(t?.signature?.r8y ?? ''), s: String(t?.signature?.s ?? '') },
    auth: { ax: String(t?.auth?.ax ?? ''), ay: String(t?.auth?.ay ?? ''), nk: String(t?.auth?.nk ?? '') },
  }));
}

/**
 * Checks a SubmitBatch request at the boundary: the bank and its signature and nonce (unless `tlsBankId`
 * already authenticated it), freshness, sizes, every field of every intent, duplicate nonces and the owners'
 * signatures in the deployment's `domain`, deposits and withdrawals by anyone but the `minter` (when
 * given), and repeated intent nullifiers. Throws an `ApiError` naming the first offending field.
 */
export function validateSubmit(
  crypto: Crypto,
  banks: BankRegistry,
  req: SubmitBatchWire,
  opts: { domain: bigint; minter?: bigint; limits?: SubmitLimits; now?: number; tlsBankId?: string; deployment?: string },
): ValidatedBatch {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const bankId = req.bank_id ?? '';
  const bank = banks.get(bankId);
  if (!bank) throw new ApiError(status.UNAUTHENTICATED, ErrorCode.UNKNOWN_BANK, `unknown bank "${bankId.slice(0, 64)}"`, 'bank_id');
  if (opts.tlsBankId !== undefined && opts.tlsBankId !== bankId) {
    throw new ApiError(status.PERMISSION_DENIED, ErrorCode.UNKNOWN_BANK, `the client certificate belongs to "${opts.tlsBankId}"`, 'bank_id');
  }
  const transfers = req.transfers ?? [];
  if (transfers.length === 0) throw invalid('transfers', 'a batch needs at least one transfer', ErrorCode.EMPTY_BATCH);
  if (transfers.length > limits.maxTransfers) {
    throw invalid('transfers', `a batch holds at most ${limits.maxTransfers} transfers, got ${transfers.length}`, ErrorCode.BATCH_TOO_LARGE);
  }
  const idempotencyKey = req.idempotency_key ?? '';
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw invalid('idempotency_key', 'must be 1..128 characters of [A-Za-z0-9._:-]');
  const timestampMs = timestampOf(req);
  const signedByKey = opts.tlsBankId === undefined;
  const nonce = signedByKey ? nonceOf(req) : String(req.nonce ?? '');

  const raw = signedIntentView(transfers);
  const signed = { bankId, idempotencyKey, timestampMs, nonce, transfers: raw };
  if (signedByKey) checkBankSignature(bank, batchSigningBytes(signed), req.signature);
  checkFreshness(timestampMs, limits.maxClockSkewMs, opts.now);

  const intents = transfers.map((t, i) => intentOf(t, i));
  const seen = new Map<string, number>();
  intents.forEach((t, i) => {
    const key = `${t.sender}:${t.nonce}`;
    const first = seen.get(key);
    if (first !== undefined) throw invalid(`transfers[${i}].nonce`, `repeats the nonce of transfers[${first}] for the same sender`, ErrorCode.DUPLICATE_NONCE);
    seen.set(key, i);
    if (t.kind !== 'transfer' && opts.minter !== undefined && BigInt(t.sender) !== opts.minter) {
      throw invalid(`transfers[${i}].sender`, `only the minter may ${t.kind === 'deposit' ? 'deposit (mint)' : 'withdraw (burn)'}; ${t.sender} is not the minter`, ErrorCode.NOT_MINTER);
    }
  });
  const nullifierAt = new Map<string, number>();
  const intentNullifiers = intents.map((t, i) => {
    const s = signedIntentOf(t, opts.domain);
    try {
      verifyIntentSignature(crypto, s);
    } catch (err) {
      if (err instanceof TransferRejectedError) throw invalid(`transfers[${i}].signature`, err.message, ErrorCode.BAD_INTENT_SIGNATURE);
      throw err;
    }
    const nullifier = String(intentNullifier(crypto, s.auth.nk, s.intent.nonce));
    // Two senders can share a nullifier key; the planner would fail the whole accepted batch on a repeat.
    const first = nullifierAt.get(nullifier);
    if (first !== undefined) throw invalid(`transfers[${i}].nonce`, `repeats the intent nullifier of transfers[${first}]`, ErrorCode.DUPLICATE_NONCE);
    nullifierAt.set(nullifier, i);
    return nullifier;
  });
  return {
    batchId: batchIdOf(opts.deployment ?? DEFAULT_DEPLOYMENT, bankId, idempotencyKey),
    bankId,
    idempotencyKey,
    requestHash: createHash('sha256').update(batchSigningBytes({ ...signed, timestampMs: '', nonce: '' })).digest('hex'),
    intents,
    intentNullifiers,
    ...(signedByKey ? { requestNonce: nonce } : {}),
  };
}
