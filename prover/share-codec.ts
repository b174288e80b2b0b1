import { DrexError } from '../protocol/errors.ts';

/** Bytes of one scalar (a BN254 field element, little-endian, standard form). */
const N8 = 32;

/** The scalars of one half of a split proof: shares of the witness and of the quotient's values. */
export interface HalfScalars {
  /** nVars scalars, 32 bytes each, little-endian. */
  witness: Uint8Array;
  /** domainSize scalars, 32 bytes each, little-endian. */
  quotient: Uint8Array;
}

/** Bytes that are not an encoded half. */
export class ShareCodecError extends DrexError {
  override name = 'ShareCodecError';
  readonly code = 'SHARE_MALFORMED';
}

/**
 * Encodes a half's scalars as the plaintext that is sealed: `u32 nVars | u32 domainSize | witness |
 * quotient` (little-endian counts).
 */
export function encodeHalfScalars(h: HalfScalars): Uint8Array {
  if (h.witness.byteLength % N8 !== 0 || h.quotient.byteLength % N8 !== 0) throw new ShareCodecError('scalar vectors must be whole 32-byte elements');
  const out = new Uint8Array(8 + h.witness.byteLength + h.quotient.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, h.witness.byteLength / N8, true);
  dv.setUint32(4, h.quotient.byteLength / N8, true);
  out.set(h.witness, 8);
  out.set(h.quotient, 8 + h.witness.byteLength);
  return out;
}

/** Decodes a sealed half's plaintext, checking its counts against the proving key's. */
export function decodeHalfScalars(bytes: Uint8Array, expect: { nVars: number; domainSize: number }): HalfScalars {
  if (bytes.byteLength < 8) throw new ShareCodecError('too short to be a half');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nVars = dv.getUint32(0, true);
  const domainSize = dv.getUint32(4, true);
  if (nVars !== expect.nVars || domainSize !== expect.domainSize) {
    throw new ShareCodecError(`half has ${nVars} witness and ${domainSize} quotient scalars; the proving key needs ${expect.nVars} and ${expect.domainSize}`);
  }
  if (bytes.byteLength !== 8 + (nVars + domainSize) * N8) throw new ShareCodecError('half length does not match its counts');
  return { witness: bytes.subarray(8, 8 + nVars * N8), quotient: bytes.subarray(8 + nVars * N8) };
}
