import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSealed, encodeSealed, openSealed, SealedBoxFormatError, SealError, SealOpenError, sealTo, SEALED_BOX_VERSION, type SealedBox } from './hpke-seal.ts';
import { generateSealKeyPair, SealKeyError } from './seal-keys.ts';

const aad = new TextEncoder().encode('job 7f3a share 0');
const text = (s: string) => new TextEncoder().encode(s);

/** A copy of `bytes` with bit 0 of byte `at` flipped. */
function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 1;
  return out;
}

describe('sealing to a public key', () => {
  it('opens with the recipient key and the same aad', async () => {
    const pair = await generateSealKeyPair();
    const box = await sealTo(pair.publicKeyHex, text('a witness share'), aad);
    expect(box.enc).toHaveLength(32);
    expect(box.ct).toHaveLength('a witness share'.length + 16);
    expect(new TextDecoder().decode(await openSealed(pair, box, aad))).toBe('a witness share');
  });

  it('gives a different box each time for the same plaintext', async () => {
    const pair = await generateSealKeyPair();
    const a = await sealTo(pair.publicKeyHex, text('same'), aad);
    const b = await sealTo(pair.publicKeyHex, text('same'), aad);
    expect(Buffer.from(a.enc).equals(Buffer.from(b.enc))).toBe(false);
    expect(Buffer.from(a.ct).equals(Buffer.from(b.ct))).toBe(false);
  });

  it('does not open with any other key', async () => {
    const a = await generateSealKeyPair();
    const box = await sealTo(a.publicKeyHex, text('for A only'), aad);
    for (let i = 0; i < 21; i += 1) {
      const other = await generateSealKeyPair();
      await expect(openSealed(other, box, aad)).rejects.toBeInstanceOf(SealOpenError);
    }
    expect(new TextDecoder().decode(await openSealed(a, box, aad))).toBe('for A only');
  });

  it('does not open with an altered ct, an altered enc, or another job\'s aad', async () => {
    const pair = await generateSealKeyPair();
    const box = await sealTo(pair.publicKeyHex, text('bound to its job'), aad);
    const attempts: [SealedBox, Uint8Array][] = [
      [{ enc: box.enc, ct: flip(box.ct, 0) }, aad],
      [{ enc: box.enc, ct: flip(box.ct, box.ct.length - 1) }, aad],
      [{ enc: box.enc, ct: box.ct.subarray(0, box.ct.length - 1) }, aad],
      [{ enc: flip(box.enc, 5), ct: box.ct }, aad],
      [{ enc: box.enc.subarray(0, 31), ct: box.ct }, aad],
      [box, text('job 7f3a share 1')],
      [box, new Uint8Array(0)],
    ];
    for (const [b, d] of attempts) {
      const err = await openSealed(pair, b, d).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SealOpenError);
      expect(err).toMatchObject({ code: 'SEAL_OPEN_FAILED' });
    }
  });

  it('refuses an empty aad, a malformed key and a low-order point', async () => {
    const pair = await generateSealKeyPair();
    await expect(sealTo(pair.publicKeyHex, text('x'), new Uint8Array(0))).rejects.toBeInstanceOf(SealError);
    await expect(sealTo('ab'.repeat(31), text('x'), aad)).rejects.toBeInstanceOf(SealKeyError);
    await expect(sealTo('00'.repeat(32), text('x'), aad)).rejects.toBeInstanceOf(SealKeyError);
  });

  it('seals and opens a 2 MB plaintext', async () => {
    const pair = await generateSealKeyPair();
    const plaintext = randomBytes(2 * 1024 * 1024);
    const bytes = encodeSealed(await sealTo(pair.publicKeyHex, plaintext, aad));
    const opened = await openSealed(pair, decodeSealed(bytes), aad);
    expect(Buffer.from(opened).equals(plaintext)).toBe(true);
  });
});

describe('the encoding of a sealed box', () => {
  it('is a version byte, the length of enc, enc, then ct, and decodes to the same box', async () => {
    const pair = await generateSealKeyPair();
    const box = await sealTo(pair.publicKeyHex, text('encoded'), aad);
    const bytes = encodeSealed(box);
    expect(bytes).toHaveLength(1 + 2 + 32 + box.ct.length);
    expect([...bytes.subarray(0, 3)]).toEqual([SEALED_BOX_VERSION, 0, 32]);
    const decoded = decodeSealed(bytes);
    expect(Buffer.from(decoded.enc).equals(Buffer.from(box.enc))).toBe(true);
    expect(Buffer.from(decoded.ct).equals(Buffer.from(box.ct))).toBe(true);
    expect(new TextDecoder().decode(await openSealed(pair, decoded, aad))).toBe('encoded');
  });

  it('rejects malformed bytes with SealedBoxFormatError', async () => {
    const pair = await generateSealKeyPair();
    const good = encodeSealed(await sealTo(pair.publicKeyHex, text('x'), aad));
    const withHeader = (version: number, encLength: number, rest: number) => Uint8Array.from([version, encLength >> 8, encLength & 0xff, ...new Uint8Array(rest)]);
    const malformed: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.from([SEALED_BOX_VERSION, 0]),
      Uint8Array.from([2, ...good.subarray(1)]),
      Uint8Array.from([0, ...good.subarray(1)]),
      withHeader(SEALED_BOX_VERSION, 31, 31 + 16),
      withHeader(SEALED_BOX_VERSION, 0xffff, 64),
      withHeader(SEALED_BOX_VERSION, 32, 32 + 15),
      good.subarray(0, 3 + 32 + 15),
    ];
    for (const bytes of malformed) {
      expect(() => decodeSealed(bytes)).toThrow(SealedBoxFormatError);
    }
    expect(() => decodeSealed('not bytes' as unknown as Uint8Array)).toThrow(SealedBoxFormatError);
  });
});
