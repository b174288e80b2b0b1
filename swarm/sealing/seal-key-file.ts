import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateSealKeyPair, SealKeyError, sealKeyFromSecret, sealKeySecret, type SealKeyPair } from './seal-keys.ts';

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
  const secret = sealKeySecret(pair);
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
