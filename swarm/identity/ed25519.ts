import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DrexError } from '../../protocol/errors.ts';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An Ed25519 identity: the raw 32-byte public key (hex) is its id. */
export interface Identity {
  id: string;
  sign(message: Uint8Array): string;
}

/** Raised when a key file is unreadable or malformed. */
export class IdentityError extends DrexError {
  override name = 'IdentityError';
  readonly code = 'IDENTITY_INVALID';
}

function fromPrivateKey(key: KeyObject): Identity {
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return {
    id: pub.toString('hex'),
    sign: (message) => sign(null, message, key).toString('hex'),
  };
}

/** An identity from a 32-byte seed (hex). */
export function identityFromSeed(seedHex: string): Identity {
  if (!/^[0-9a-f]{64}$/.test(seedHex)) throw new IdentityError('an Ed25519 seed is 32 bytes of lowercase hex');
  return fromPrivateKey(createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' }));
}

/** A fresh random identity with its seed (to store). */
export function generateIdentity(): { identity: Identity; seedHex: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seedHex = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length).toString('hex');
  return { identity: fromPrivateKey(privateKey), seedHex };
}

/** The seed (hex) kept in an identity file (for keys derived from it, such as the NATS user key). */
export function readIdentitySeed(path: string): string {
  let parsed: { type?: string; seed?: string };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as { type?: string; seed?: string };
  } catch (err) {
    throw new IdentityError(`key file ${path} is not readable JSON: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.type !== 'ed25519' || typeof parsed.seed !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.seed)) throw new IdentityError(`key file ${path} must hold {"type":"ed25519","seed":"<hex>"}`);
  return parsed.seed;
}

/**
 * Loads the identity kept in `path` (JSON `{ "type": "ed25519", "seed": hex }`, mode 0600), creating it
 * when the file does not exist.
 */
export function loadOrCreateIdentity(path: string): Identity {
  if (existsSync(path)) {
    let parsed: { type?: string; seed?: string };
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as { type?: string; seed?: string };
    } catch (err) {
      throw new IdentityError(`key file ${path} is not JSON: ${(err as Error).message}`);
    }
    if (parsed.type !== 'ed25519' || typeof parsed.seed !== 'string') throw new IdentityError(`key file ${path} must hold {"type":"ed25519","seed":"<hex>"}`);
    return identityFromSeed(parsed.seed);
  }
  const { identity, seedHex } = generateIdentity();
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ type: 'ed25519', id: identity.id, seed: seedHex }, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return identity;
}

/** True when `signatureHex` is `publicKeyHex`'s Ed25519 signature over `message`. */
export function verifySignature(publicKeyHex: string, message: Uint8Array, signatureHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(publicKeyHex) || !/^[0-9a-f]{128}$/.test(signatureHex)) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(publicKeyHex, 'hex')]), format: 'der', type: 'spki' });
    return verify(null, message, key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}
