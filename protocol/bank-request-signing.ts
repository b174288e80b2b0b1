import { canonicalBytes } from './canonical.ts';

/** A transfer intent as it travels on the wire (bank.proto's TransferIntent; decimal strings). */
export interface WireIntent {
  /** "transfer", "deposit" or "withdraw". */
  kind: string;
  sender: string;
  recipient: string;
  amount: string;
  asset: string;
  nonce: string;
  /** Fixes the created notes' salts. */
  seed: string;
  signature: { r8x: string; r8y: string; s: string };
  auth: { ax: string; ay: string; nk: string };
}

/** The fields of a SubmitBatchRequest that its Ed25519 signature covers. */
export interface SignedBatchFields {
  bankId: string;
  idempotencyKey: string;
  timestampMs: string;
  /** The request nonce: unique per bank within the clock-skew window (a replay is refused). */
  nonce: string;
  transfers: readonly WireIntent[];
}

/**
 * The bytes a bank signs for SubmitBatch: the canonical JSON (sorted keys, no whitespace) of
 * `{ domain: "drex.swarm.v1.SubmitBatch", bankId, idempotencyKey, timestampMs, nonce, transfers }`, with
 * every number as a decimal string.
 */
export function batchSigningBytes(f: SignedBatchFields): Buffer {
  return canonicalBytes({
    domain: 'drex.swarm.v1.SubmitBatch',
    bankId: f.bankId,
    idempotencyKey: f.idempotencyKey,
    timestampMs: f.timestampMs,
    nonce: f.nonce,
    transfers: f.transfers.map((t) => ({
      kind: t.kind,
      sender: t.sender,
      recipient: t.recipient,
      amount: t.amount,
      asset: t.asset,
      nonce: t.nonce,
      seed: t.seed,
      signature: { r8x: t.signature.r8x, r8y: t.signature.r8y, s: t.signature.s },
      auth: { ax: t.auth.ax, ay: t.auth.ay, nk: t.auth.nk },
    })),
  });
}

/** The fields of a GetBatchRequest or WatchBatchRequest that its Ed25519 signature covers. */
export interface SignedReadFields {
  method: 'GetBatch' | 'WatchBatch' | 'GetDeployment';
  bankId: string;
  /** '' for GetDeployment. */
  batchId: string;
  /** WatchBatch only: the sequence number the watch starts after ('0' from the first). */
  fromSeq?: string;
  timestampMs: string;
  nonce: string;
}

/**
 * The bytes a bank signs for GetBatch, WatchBatch and GetDeployment: the canonical JSON of
 * `{ domain: "drex.swarm.v1.<method>", bankId, batchId, timestampMs, nonce }` (WatchBatch adds `fromSeq`;
 * GetDeployment has no batchId).
 * The domain keeps a signature of one method from being replayed as another.
 */
export function readSigningBytes(f: SignedReadFields): Buffer {
  return canonicalBytes({
    domain: `drex.swarm.v1.${f.method}`,
    bankId: f.bankId,
    ...(f.method === 'GetDeployment' ? {} : { batchId: f.batchId }),
    ...(f.method === 'WatchBatch' ? { fromSeq: f.fromSeq ?? '0' } : {}),
    timestampMs: f.timestampMs,
    nonce: f.nonce,
  });
}
