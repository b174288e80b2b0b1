import { DrexError } from '../../protocol/errors.ts';
import { SEAL_SUITE, X25519_KEY_BYTES } from './hpke-suite.ts';
import { SealKeyError, sealPublicKeyBytes, type SealKeyPair } from './seal-keys.ts';

/** The HPKE `info` of every box: the protocol label, so a box opens only as a drex-swarm share. */
export const SEAL_INFO_LABEL = 'drex-swarm share v1';
const INFO = new TextEncoder().encode(SEAL_INFO_LABEL);

/** A plaintext sealed to one public key: HPKE base mode, single shot. */
export interface SealedBox {
  /** The encapsulated key (32 bytes). */
  enc: Uint8Array;
  /** The AES-256-GCM ciphertext with its 16-byte tag. */
  ct: Uint8Array;
}

/** Raised when a box does not open: another key, a changed `enc` or `ct`, or a different `aad`. */
export class SealOpenError extends DrexError {
  override name = 'SealOpenError';
  readonly code = 'SEAL_OPEN_FAILED';
}

/** Raised when a box cannot be sealed as asked (an empty `aad`, a failure of the cipher). */
export class SealError extends DrexError {
  override name = 'SealError';
  readonly code = 'SEAL_FAILED';
}

/**
 * Seals `plaintext` to `recipientPublicKeyHex` (32 bytes hex). `aad` binds the box to its job (for
 * instance the canonical bytes of the job's id and share index): opening needs the same bytes, and an
 * empty `aad` is refused so that no box is left unbound. A key that is not a usable X25519 public key
 * is a SealKeyError.
 */
export async function sealTo(recipientPublicKeyHex: string, plaintext: Uint8Array, aad: Uint8Array): Promise<SealedBox> {
  const raw = sealPublicKeyBytes(recipientPublicKeyHex);
  if (!(aad instanceof Uint8Array) || aad.length === 0) throw new SealError('a sealed box needs a non-empty aad binding it to its job');
  let recipientPublicKey: CryptoKey;
  try {
    recipientPublicKey = await SEAL_SUITE.kem.deserializePublicKey(raw);
  } catch (err) {
    throw new SealKeyError(`${recipientPublicKeyHex} is not a usable X25519 public key`, { cause: err });
  }
  try {
    const { enc, ct } = await SEAL_SUITE.seal({ recipientPublicKey, info: INFO }, plaintext, aad);
    return { enc: new Uint8Array(enc), ct: new Uint8Array(ct) };
  } catch (err) {
    // X25519 with a low-order point gives an all-zero shared secret, which encapsulation refuses.
    throw new SealKeyError(`cannot seal to ${recipientPublicKeyHex}: ${(err as Error).message}`, { cause: err });
  }
}

/** The plaintext of `box`, opened with `pair` and the `aad` it was sealed with; any failure is a SealOpenError. */
export async function openSealed(pair: SealKeyPair, box: SealedBox, aad: Uint8Array): Promise<Uint8Array> {
  try {
    const pt = await SEAL_SUITE.open({ recipientKey: pair.keys, enc: box.enc, info: INFO }, box.ct, aad);
    return new Uint8Array(pt);
  } catch (err) {
    throw new SealOpenError('the sealed box does not open with this key and aad (another recipient, altered bytes or another job)', { cause: err });
  }
}

/** Raised when bytes are not an encoded sealed box. */
export class SealedBoxFormatError extends DrexError {
  override name = 'SealedBoxFormatError';
  readonly code = 'SEALED_BOX_MALFORMED';
}

/** The version byte of the encoding below; it also fixes the cipher suite. */
export const SEALED_BOX_VERSION = 1;
const HEADER_BYTES = 3;
const AES_GCM_TAG_BYTES = 16;

/** `box` as bytes: version (1 byte), length of `enc` (2 bytes, big-endian), `enc`, then `ct` to the end. */
export function encodeSealed(box: SealedBox): Uint8Array {
  if (box.enc.length > 0xffff) throw new SealedBoxFormatError(`enc is ${box.enc.length} bytes, more than a 2-byte length can say`);
  const out = new Uint8Array(HEADER_BYTES + box.enc.length + box.ct.length);
  out[0] = SEALED_BOX_VERSION;
  out[1] = box.enc.length >>> 8;
  out[2] = box.enc.length & 0xff;
  out.set(box.enc, HEADER_BYTES);
  out.set(box.ct, HEADER_BYTES + box.enc.length);
  return out;
}

/**
 * The box encoded in `bytes` (views into `bytes`, not copies). A SealedBoxFormatError when the version is
 * unknown, `enc` is not 32 bytes, or `ct` is shorter than its tag.
 */
export function decodeSealed(bytes: Uint8Array): SealedBox {
  if (!(bytes instanceof Uint8Array)) throw new SealedBoxFormatError('a sealed box is bytes');
  if (bytes.length < HEADER_BYTES) throw new SealedBoxFormatError(`a sealed box has at least ${HEADER_BYTES} header bytes, got ${bytes.length}`);
  if (bytes[0] !== SEALED_BOX_VERSION) throw new SealedBoxFormatError(`unknown sealed box version ${bytes[0]} (expected ${SEALED_BOX_VERSION})`);
  const encLength = (bytes[1]! << 8) | bytes[2]!;
  if (encLength !== X25519_KEY_BYTES) throw new SealedBoxFormatError(`enc is ${encLength} bytes; version ${SEALED_BOX_VERSION} has ${X25519_KEY_BYTES}`);
  const ctStart = HEADER_BYTES + encLength;
  if (bytes.length < ctStart + AES_GCM_TAG_BYTES) throw new SealedBoxFormatError(`a sealed box of version ${SEALED_BOX_VERSION} is at least ${ctStart + AES_GCM_TAG_BYTES} bytes, got ${bytes.length}`);
  return { enc: bytes.subarray(HEADER_BYTES, ctStart), ct: bytes.subarray(ctStart) };
}
