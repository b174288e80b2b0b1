import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSealKeyPair, isSealPublicKeyHex, sealKeyFromSecret, SealKeyError, sealPublicKeyBytes } from './seal-keys.ts';
import { loadOrCreateSealKey, loadSealKey, saveSealKey } from './seal-key-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'seal-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seal key pairs', () => {
  it('have a 32-byte lowercase hex public key, and differ from one generation to the next', async () => {
    const a = await generateSealKeyPair();
    const b = await generateSealKeyPair();
    expect(a.publicKeyHex).toMatch(/^[0-9a-f]{64}$/);
    expect(a.publicKeyHex).not.toBe(b.publicKeyHex);
  });

  it('derive from a 32-byte secret deterministically', async () => {
    const secret = new Uint8Array(32).fill(7);
    const a = await sealKeyFromSecret(secret);
    const b = await sealKeyFromSecret(secret.slice());
    const c = await sealKeyFromSecret(new Uint8Array(32).fill(8));
    expect(a.publicKeyHex).toBe(b.publicKeyHex);
    expect(a.publicKeyHex).not.toBe(c.publicKeyHex);
  });

  it('refuse a secret that is not 32 bytes', async () => {
    await expect(sealKeyFromSecret(new Uint8Array(31))).rejects.toBeInstanceOf(SealKeyError);
    await expect(sealKeyFromSecret(new Uint8Array(33))).rejects.toMatchObject({ code: 'SEAL_KEY_INVALID' });
  });

  it('serialize to their public key only', async () => {
    const secret = new Uint8Array(32).fill(9);
    const pair = await sealKeyFromSecret(secret);
    expect(JSON.parse(JSON.stringify(pair))).toEqual({ publicKeyHex: pair.publicKeyHex });
    expect(JSON.stringify(pair)).not.toContain(Buffer.from(secret).toString('hex'));
  });
});

describe('seal public keys in hex', () => {
  it('accept 32 bytes of lowercase hex', async () => {
    const { publicKeyHex } = await generateSealKeyPair();
    expect(isSealPublicKeyHex(publicKeyHex)).toBe(true);
    expect(Buffer.from(sealPublicKeyBytes(publicKeyHex)).toString('hex')).toBe(publicKeyHex);
  });

  it.each([
    ['31 bytes', 'ab'.repeat(31)],
    ['33 bytes', 'ab'.repeat(33)],
    ['upper case', 'AB'.repeat(32)],
    ['not hex', 'zz'.repeat(32)],
    ['a 0x prefix', `0x${'ab'.repeat(31)}`],
    ['not a string', 42],
  ])('reject %s with SealKeyError', (_name, hex) => {
    expect(isSealPublicKeyHex(hex)).toBe(false);
    expect(() => sealPublicKeyBytes(hex)).toThrow(SealKeyError);
  });
});

describe('seal key files', () => {
  it('round-trip the key pair, written with mode 0600', async () => {
    const file = join(dir, 'nested', 'seal.key.json');
    const pair = await generateSealKeyPair();
    saveSealKey(file, pair);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const loaded = await loadSealKey(file);
    expect(loaded.publicKeyHex).toBe(pair.publicKeyHex);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ type: 'x25519-hpke', publicKey: pair.publicKeyHex });
  });

  it('are created once and then reloaded', async () => {
    const file = join(dir, 'created.key.json');
    const first = await loadOrCreateSealKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateSealKey(file);
    expect(again.publicKeyHex).toBe(first.publicKeyHex);
  });

  it('reject a missing, malformed or inconsistent file with SealKeyError', async () => {
    await expect(loadSealKey(join(dir, 'absent.json'))).rejects.toBeInstanceOf(SealKeyError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    await expect(loadSealKey(bad)).rejects.toBeInstanceOf(SealKeyError);
    writeFileSync(bad, JSON.stringify({ type: 'ed25519', seed: 'ab'.repeat(32) }));
    await expect(loadSealKey(bad)).rejects.toBeInstanceOf(SealKeyError);
    writeFileSync(bad, JSON.stringify({ type: 'x25519-hpke', publicKey: 'ab'.repeat(32), secret: 'ab'.repeat(31) }));
    await expect(loadSealKey(bad)).rejects.toBeInstanceOf(SealKeyError);
    const other = await generateSealKeyPair();
    writeFileSync(bad, JSON.stringify({ type: 'x25519-hpke', publicKey: other.publicKeyHex, secret: 'ab'.repeat(32) }));
    await expect(loadSealKey(bad)).rejects.toThrow(/does not match its secret/);
  });

  it('save only key pairs this module made', async () => {
    const pair = await generateSealKeyPair();
    expect(() => saveSealKey(join(dir, 'copy.json'), { ...pair })).toThrow(SealKeyError);
  });
});
