import { status } from '@grpc/grpc-js';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { verifySignature } from '../../swarm/identity/ed25519.ts';
import type { RegisteredBank } from '../banks/bank-registry.ts';
import { ApiError } from './api-error.ts';

/** A request nonce: 16..64 characters of [A-Za-z0-9_-] (e.g. 16 random bytes in hex). */
export const REQUEST_NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/** The parts of a signed request that authenticate it, as proto-loader delivers them. */
export interface SignedRequestParts {
  timestamp_ms?: string | number;
  nonce?: string;
  signature?: Uint8Array;
}

/** The timestamp of a request as the decimal string it was signed over; refuses anything else. */
export function timestampOf(req: SignedRequestParts): string {
  const timestampMs = String(req.timestamp_ms ?? '');
  if (!/^\d{1,16}$/.test(timestampMs)) throw new ApiError(status.INVALID_ARGUMENT, ErrorCode.INVALID_FIELD, 'is required (epoch milliseconds)', 'timestamp_ms');
  return timestampMs;
}

/** The nonce of a signed request; refuses a missing or malformed one. */
export function nonceOf(req: SignedRequestParts): string {
  const nonce = req.nonce ?? '';
  if (!REQUEST_NONCE.test(nonce)) throw new ApiError(status.INVALID_ARGUMENT, ErrorCode.INVALID_FIELD, 'is required: 16..64 characters of [A-Za-z0-9_-], new for every request', 'nonce');
  return nonce;
}

/** Refuses a signature that is not `bank`'s Ed25519 signature over `signingBytes`. */
export function checkBankSignature(bank: RegisteredBank, signingBytes: Buffer, signature: Uint8Array | undefined): void {
  const sig = signature ? Buffer.from(signature).toString('hex') : '';
  if (sig.length !== 128) throw new ApiError(status.UNAUTHENTICATED, ErrorCode.BAD_BANK_SIGNATURE, 'a 64-byte Ed25519 signature is required', 'signature');
  if (!verifySignature(bank.publicKey, signingBytes, sig)) {
    throw new ApiError(status.UNAUTHENTICATED, ErrorCode.BAD_BANK_SIGNATURE, `not a signature of bank "${bank.id}" over this request`, 'signature');
  }
}

/** Refuses a timestamp further than `maxClockSkewMs` from `now` either way (UNAUTHENTICATED, REQUEST_EXPIRED). */
export function checkFreshness(timestampMs: string, maxClockSkewMs: number, now = Date.now()): void {
  const skew = Math.abs(Number(timestampMs) - now);
  if (skew > maxClockSkewMs) {
    throw new ApiError(
      status.UNAUTHENTICATED,
      ErrorCode.REQUEST_EXPIRED,
      `is ${Math.round(skew / 1000)} s away from the server clock (at most ${maxClockSkewMs / 1000} s): sign the request again`,
      'timestamp_ms',
    );
  }
}
