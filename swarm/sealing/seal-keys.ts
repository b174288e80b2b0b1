import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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
 * (it serializes to its public key only) and leaves the process only through `saveSealKey`.
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
  const secret = randomBytes(X25519_KEY_BYTES);
  try {
    return await sealKeyFromSecret(secret);
  } finally {
    secret.fill(0);
  }
}

/** What a seal key file holds: JSON, mode 0600. `publicKey` is checked against `secret` on load. */
interface SealKeyFile {
  type: 'x25519-hpke';
  publicKey: string;
  secret: string;
}

/**
 * Writes `pair` to `path` as JSON `{ "type": "x25519-hpke", "publicKey": hex, "secret": hex }` with mode
 * 0600 (written aside and renamed, so a reader never sees half a file; an existing file is replaced).
 */
export function saveSealKey(path: string, pair: SealKeyPair): void {
  const secret = secrets.get(pair);
  if (!secret) throw new SealKeyError('only a key pair made by generateSealKeyPair, sealKeyFromSecret or loadSealKey can be saved');
  const file: SealKeyFile = { type: 'x25519-hpke', publicKey: pair.publicKeyHex, secret: Buffer.from(secret).toString('hex') };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The key pair kept in `path` (written by `saveSealKey`); a SealKeyError when unreadable, malformed or inconsistent. */
export async function loadSealKey(path: string): Promise<SealKeyPair> {
  let parsed: Partial<SealKeyFile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SealKeyFile>;
  } catch (err) {
    throw new SealKeyError(`seal key file ${path} is not readable JSON: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.type !== 'x25519-hpke' || typeof parsed.secret !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.secret)) {
    throw new SealKeyError(`seal key file ${path} must hold {"type":"x25519-hpke","publicKey":"<hex>","secret":"<32 bytes hex>"}`);
  }
  const pair = await sealKeyFromSecret(Uint8Array.from(Buffer.from(parsed.secret, 'hex')));
  if (parsed.publicKey !== pair.publicKeyHex) throw new SealKeyError(`seal key file ${path}: its publicKey does not match its secret`);
  return pair;
}

/** The key pair kept in `path`, generated and saved there first when the file does not exist. */
export async function loadOrCreateSealKey(path: string): Promise<SealKeyPair> {
  if (existsSync(path)) return loadSealKey(path);
  const pair = await generateSealKeyPair();
  saveSealKey(path, pair);
  return pair;
}
