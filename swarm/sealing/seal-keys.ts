import { DrexError } from '../../protocol/errors.ts';
import { SEAL_SUITE, X25519_KEY_BYTES } from './hpke-suite.ts';

/** Raised when a seal key, its public half or its key file is missing, malformed or unusable. */
export class SealKeyError extends DrexError {
  override name = 'SealKeyError';
  readonly code = 'SEAL_KEY_INVALID';
}

/**
 * A worker's X25519 key pair for HPKE: `publicKeyHex` (32 bytes, lowercase hex) is what senders seal to;
 * `keys` is what `openSealed` opens with. The 32-byte secret it derives from is kept out of the object
 * (it serializes to its public key only) and leaves the process only through `saveSealKey` (seal-key-file.ts).
 */
export interface SealKeyPair {
  readonly publicKeyHex: string;
  readonly keys: CryptoKeyPair;
}

const secrets = new WeakMap<SealKeyPair, Uint8Array>();
const PUBLIC_KEY_HEX = /^[0-9a-f]{64}$/;

/** `hex` as the 32 bytes of an X25519 public key; a SealKeyError when it is not 64 lowercase hex digits. */
export function sealPublicKeyBytes(hex: unknown): Uint8Array {
  if (typeof hex !== 'string' || !PUBLIC_KEY_HEX.test(hex)) throw new SealKeyError('a seal public key is 32 bytes of lowercase hex (64 characters)');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** True when `hex` has the form of a seal public key (32 bytes, lowercase hex). */
export function isSealPublicKeyHex(hex: unknown): hex is string {
  return typeof hex === 'string' && PUBLIC_KEY_HEX.test(hex);
}

/**
 * The key pair derived from a 32-byte secret with HPKE's DeriveKeyPair (RFC 9180, section 7.1.3):
 * the same secret always gives the same key pair, so a process keeps only the secret.
 */
export async function sealKeyFromSecret(secret: Uint8Array): Promise<SealKeyPair> {
  if (!(secret instanceof Uint8Array) || secret.length !== X25519_KEY_BYTES) throw new SealKeyError(`a seal key secret is ${X25519_KEY_BYTES} bytes`);
  let keys: CryptoKeyPair;
  let publicKeyHex: string;
  try {
    keys = await SEAL_SUITE.kem.deriveKeyPair(secret);
    publicKeyHex = Buffer.from(await SEAL_SUITE.kem.serializePublicKey(keys.publicKey)).toString('hex');
  } catch (err) {
    throw new SealKeyError(`cannot derive an X25519 key pair: ${(err as Error).message}`, { cause: err });
  }
  const pair: SealKeyPair = { publicKeyHex, keys };
  Object.defineProperty(pair, 'toJSON', { value: () => ({ publicKeyHex }) });
  secrets.set(pair, Uint8Array.from(secret));
  return pair;
}

/** A fresh key pair from 32 random bytes. */
export async function generateSealKeyPair(): Promise<SealKeyPair> {
  const secret = globalThis.crypto.getRandomValues(new Uint8Array(X25519_KEY_BYTES));
  try {
    return await sealKeyFromSecret(secret);
  } finally {
    secret.fill(0);
  }
}

/** The 32-byte secret of a pair made here (what a key file stores); undefined for any other object. */
export function sealKeySecret(pair: SealKeyPair): Uint8Array | undefined {
  return secrets.get(pair);
}
