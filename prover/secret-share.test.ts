import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SCALAR_ORDER } from '../protocol/bn254.ts';
import { ScalarVectorError } from './errors.ts';
import { expandMsmShare, expandShare, randomSeed, splitMsmScalars, splitScalars } from './secret-share.ts';

const r = SCALAR_ORDER;

function toBytes(xs: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(xs.length * 32);
  xs.forEach((x, i) => {
    let v = x;
    for (let k = 0; k < 32; k++, v >>= 8n) out[i * 32 + k] = Number(v & 0xffn);
  });
  return out;
}

function fromBytes(b: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < b.byteLength; i += 32) out.push(BigInt(`0x${Buffer.from(b.subarray(i, i + 32)).reverse().toString('hex')}`));
  return out;
}

/** Random scalars below r, with the edge values 0, 1, r - 1 among them. */
function randomScalars(n: number): bigint[] {
  const xs = fromBytes(randomBytes(n * 32)).map((x) => x % r);
  xs[0] = 0n;
  xs[1] = 1n;
  xs[2] = r - 1n;
  return xs;
}

describe('splitScalars', () => {
  it('gives two shares below r that add up to the scalars mod r; share0 is the seed expanded', () => {
    const xs = randomScalars(5000);
    const seed = randomSeed();
    const [s0, s1] = splitScalars(toBytes(xs), seed);
    const a = fromBytes(s0);
    const b = fromBytes(s1);
    expect(a).toHaveLength(xs.length);
    expect(b).toHaveLength(xs.length);
    for (let i = 0; i < xs.length; i++) {
      expect(a[i]! < r && b[i]! < r).toBe(true);
      if ((a[i]! + b[i]!) % r !== xs[i]) throw new Error(`element ${i} does not add up`);
    }
    expect(Buffer.from(s0).equals(Buffer.from(expandShare(seed, xs.length)))).toBe(true);
  });

  it('gives other shares for another seed, and the same for the same seed', () => {
    const x = toBytes(randomScalars(64));
    const seed = randomSeed();
    const [a0, a1] = splitScalars(x, seed);
    const [b0, b1] = splitScalars(x, randomSeed());
    const [c0, c1] = splitScalars(x, Uint8Array.from(seed));
    expect(Buffer.from(a0).equals(Buffer.from(b0))).toBe(false);
    expect(Buffer.from(a1).equals(Buffer.from(b1))).toBe(false);
    expect(Buffer.from(a0).equals(Buffer.from(c0)) && Buffer.from(a1).equals(Buffer.from(c1))).toBe(true);
  });

  it('expands a share prefix-stably and uniformly enough: elements use the full range below r', () => {
    const seed = randomSeed();
    const long = expandShare(seed, 4000);
    expect(Buffer.from(expandShare(seed, 1000)).equals(Buffer.from(long.subarray(0, 32_000)))).toBe(true);
    const xs = fromBytes(long);
    expect(xs.every((x) => x < r)).toBe(true);
    // 4000 uniform draws: each quarter of [0, r) holds about 1000 of them.
    const quarters = [0, 0, 0, 0];
    for (const x of xs) quarters[Number((x * 4n) / r)]!++;
    for (const q of quarters) expect(q).toBeGreaterThan(850);
  });

  it('shares a witness and quotient under one seed as one vector', () => {
    const witness = toBytes(randomScalars(300));
    const quotient = toBytes(randomScalars(512));
    const seed = randomSeed();
    const [h0, h1] = splitMsmScalars({ witness, quotient }, seed);
    const e = expandMsmShare(seed, { nVars: 300, domainSize: 512 });
    expect(Buffer.from(h0.witness).equals(Buffer.from(e.witness)) && Buffer.from(h0.quotient).equals(Buffer.from(e.quotient))).toBe(true);
    // No element of share0 serves twice: the quotient's share continues the witness's stream.
    expect(Buffer.from(expandShare(seed, 812)).equals(Buffer.concat([h0.witness, h0.quotient]))).toBe(true);
    const sum = (a: Uint8Array, b: Uint8Array) => fromBytes(a).map((x, i) => (x + fromBytes(b)[i]!) % r);
    expect(sum(h0.witness, h1.witness)).toEqual(fromBytes(witness));
    expect(sum(h0.quotient, h1.quotient)).toEqual(fromBytes(quotient));
  });

  it('refuses scalars that are not canonical, vectors of partial scalars and seeds of the wrong size', () => {
    expect(() => splitScalars(toBytes([1n, r]), randomSeed())).toThrow(ScalarVectorError);
    expect(() => splitScalars(new Uint8Array(33), randomSeed())).toThrow(ScalarVectorError);
    expect(() => splitScalars(new Uint8Array(32), new Uint8Array(16))).toThrow(ScalarVectorError);
    expect(() => expandShare(new Uint8Array(31), 1)).toThrow(expect.objectContaining({ name: 'ScalarVectorError', code: 'SCALARS_INVALID' }));
  });

  it('reads scalars at any byte offset', () => {
    const xs = randomScalars(10);
    const buf = new Uint8Array(321);
    buf.set(toBytes(xs), 1);
    const seed = randomSeed();
    const [s0, s1] = splitScalars(buf.subarray(1), seed);
    expect(fromBytes(s0).map((a, i) => (a + fromBytes(s1)[i]!) % r)).toEqual(xs);
  });
});
