import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { AttestationFormatError } from './attestation-errors.ts';

/** COSE header label of the algorithm, and ES384's identifier (RFC 9053). */
export const COSE_ALG = 1;
export const COSE_ES384 = -35;
/** The CBOR tag of a COSE_Sign1 (RFC 9052); the Nitro Secure Module sends the array untagged. */
export const COSE_SIGN1_TAG = 18;
/** An ES384 signature: r || s, 48 bytes each. */
export const ES384_SIGNATURE_BYTES = 96;

/** CBOR decoding as COSE needs it: maps as Maps (integer keys stay integers), no cbor-x record extensions. */
export const cborDecoder = new Decoder({ mapsAsObjects: false, useRecords: false });
/** CBOR encoding without cbor-x record extensions (plain maps, arrays, byte strings). */
export const cborEncoder = new Encoder({ mapsAsObjects: false, useRecords: false, variableMapSize: true });

/** A decoded COSE_Sign1: the exact protected-header and payload bytes the signature covers. */
export interface CoseSign1 {
  readonly protectedBytes: Uint8Array;
  readonly protectedHeader: Map<unknown, unknown>;
  readonly unprotected: Map<unknown, unknown>;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  /** True when the array came wrapped in tag 18. */
  readonly tagged: boolean;
}

/** Decodes one CBOR item and nothing after it; an AttestationFormatError naming what was wrong. */
export function decodeCbor(bytes: Uint8Array, what: string): unknown {
  if (bytes.length === 0) throw new AttestationFormatError(`${what} is empty`);
  try {
    return cborDecoder.decode(bytes);
  } catch (err) {
    throw new AttestationFormatError(`${what} is not one well-formed CBOR item: ${(err as Error).message}`, { cause: err });
  }
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/**
 * Decodes an untagged or tag-18 COSE_Sign1 `[protected bstr, unprotected map, payload bstr, signature bstr]`
 * whose protected header names ES384. Throws AttestationFormatError for anything else.
 */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  let item = decodeCbor(bytes, 'the document');
  let tagged = false;
  if (item instanceof Tag) {
    if (item.tag !== COSE_SIGN1_TAG) throw new AttestationFormatError(`the document carries CBOR tag ${item.tag}, not ${COSE_SIGN1_TAG} (COSE_Sign1)`);
    item = item.value;
    tagged = true;
  }
  if (!Array.isArray(item) || item.length !== 4) throw new AttestationFormatError('the document is not a COSE_Sign1 (a CBOR array of 4)');
  const [protectedBytes, unprotected, payload, signature] = item as unknown[];
  if (!isBytes(protectedBytes)) throw new AttestationFormatError('the COSE_Sign1 protected header is not a byte string');
  if (!(unprotected instanceof Map)) throw new AttestationFormatError('the COSE_Sign1 unprotected header is not a map');
  if (!isBytes(payload)) throw new AttestationFormatError('the COSE_Sign1 payload is not a byte string');
  if (!isBytes(signature)) throw new AttestationFormatError('the COSE_Sign1 signature is not a byte string');
  const protectedHeader = decodeCbor(protectedBytes, 'the protected header');
  if (!(protectedHeader instanceof Map)) throw new AttestationFormatError('the COSE_Sign1 protected header is not a CBOR map');
  const alg = protectedHeader.get(COSE_ALG);
  if (alg !== COSE_ES384) throw new AttestationFormatError(`the COSE_Sign1 algorithm is ${String(alg)}, not ES384 (${COSE_ES384})`);
  if (signature.length !== ES384_SIGNATURE_BYTES) throw new AttestationFormatError(`the ES384 signature is ${signature.length} bytes, not ${ES384_SIGNATURE_BYTES}`);
  return { protectedBytes, protectedHeader, unprotected, payload, signature, tagged };
}

/** The bytes a COSE_Sign1 signature covers: `["Signature1", protected, h'', payload]` (RFC 9052, section 4.4). */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return cborEncoder.encode(['Signature1', Buffer.from(protectedBytes), Buffer.alloc(0), Buffer.from(payload)]);
}

/** True when `signature` (r || s) is a valid ES384 signature of the COSE_Sign1 by `publicKey` (SPKI DER or a KeyObject). */
export function verifyCoseEs384(cose: CoseSign1, publicKey: Uint8Array | KeyObject): boolean {
  const key = publicKey instanceof Uint8Array ? createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }) : publicKey;
  return verify('sha384', sigStructure(cose.protectedBytes, cose.payload), { key, dsaEncoding: 'ieee-p1363' }, cose.signature);
}

/** An untagged ES384 COSE_Sign1 over `payload`, signed by a P-384 private key (what the Nitro Secure Module emits). */
export function signCoseEs384(payload: Uint8Array, privateKey: KeyObject): Uint8Array {
  const protectedBytes = cborEncoder.encode(new Map([[COSE_ALG, COSE_ES384]]));
  const signature = sign('sha384', sigStructure(protectedBytes, payload), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return cborEncoder.encode([Buffer.from(protectedBytes), new Map(), Buffer.from(payload), signature]);
}
