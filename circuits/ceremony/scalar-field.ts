import { randomBytes } from 'node:crypto';
import { F1Field } from 'ffjavascript';
import { FIELD_ORDER } from '../model/crypto.ts';

/** BN254's scalar field with the roots of unity snarkjs's FFTs use. */
export const Fr = new F1Field(FIELD_ORDER) as {
  /** w[k]: the primitive 2^k-th root of unity snarkjs uses. */
  w: bigint[];
  s: number;
  inv(a: bigint): bigint;
  pow(a: bigint, e: bigint | number): bigint;
};

const r = FIELD_ORDER;

/** Inverts every element at once (Montgomery's trick); no element may be zero. */
export function batchInverse(xs: bigint[]): bigint[] {
  const n = xs.length;
  const prefix = new Array<bigint>(n);
  let acc = 1n;
  for (let i = 0; i < n; i++) {
    prefix[i] = acc;
    acc = (acc * xs[i]!) % r;
  }
  if (acc === 0n) throw new RangeError('batchInverse: zero element');
  let inv = Fr.inv(acc);
  const out = new Array<bigint>(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % r;
    inv = (inv * xs[i]!) % r;
  }
  return out;
}

/** A uniformly random non-zero field element from the operating system's CSPRNG. */
export function randomNonZero(): bigint {
  for (;;) {
    const bytes = randomBytes(64);
    const v = BigInt(`0x${bytes.toString('hex')}`) % r;
    bytes.fill(0);
    if (v !== 0n) return v;
  }
}

/** Writes `values` as consecutive 32-byte little-endian integers. */
export function toLeBytes(values: readonly bigint[]): Uint8Array {
  const out = Buffer.alloc(values.length * 32);
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    const o = i * 32;
    out.writeBigUInt64LE(v & 0xffffffffffffffffn, o);
    v >>= 64n;
    out.writeBigUInt64LE(v & 0xffffffffffffffffn, o + 8);
    v >>= 64n;
    out.writeBigUInt64LE(v & 0xffffffffffffffffn, o + 16);
    out.writeBigUInt64LE(v >> 64n, o + 24);
  }
  return out;
}
