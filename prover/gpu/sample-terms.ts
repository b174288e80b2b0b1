/**
 * Random MSM terms in the proving key's layouts: G1 bases affine with 32-byte little-endian coordinates
 * in Montgomery form (R = 2^256, the identity as x = y = 0), scalars 32-byte little-endian standard
 * form. A worker measures its backends on them at start; tests check kernels with them.
 */
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_P, BN254_R, KEY_MONTGOMERY_R } from './field-layout.ts';
import type { G1Point } from './gpu-points.ts';

export const G1 = bn254.G1.Point;

/** A uniformly random scalar below r (40 random bytes reduced: bias below 2^-60). */
export function randomScalar(): bigint {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(40));
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v % BN254_R;
}

/** A random point of G1 (the generator times a random scalar; never the identity). */
export function randomPoint(): G1Point {
  return G1.BASE.multiply(randomScalar() || 1n);
}

/** n distinct random points, cheaply: a random start plus multiples of a random step. */
export function randomPoints(n: number): G1Point[] {
  const step = randomPoint();
  const points = [randomPoint()];
  while (points.length < n) points.push(points[points.length - 1]!.add(step));
  return normalizeZ(G1, points.slice(0, n));
}

function writeLe(out: Uint8Array, offset: number, x: bigint): void {
  for (let i = 0; i < 32; i++) out[offset + i] = Number((x >> BigInt(8 * i)) & 0xffn);
}

/** Points in the key's layout: 64 bytes each, Montgomery form (R = 2^256), the identity as zeros. */
export function keyBases(points: readonly G1Point[]): Uint8Array {
  const out = new Uint8Array(points.length * 64);
  points.forEach((p, i) => {
    if (p.is0()) return;
    const { x, y } = p.toAffine();
    writeLe(out, 64 * i, (x * KEY_MONTGOMERY_R) % BN254_P);
    writeLe(out, 64 * i + 32, (y * KEY_MONTGOMERY_R) % BN254_P);
  });
  return out;
}

/** Scalars in the key's layout: 32-byte little-endian standard form. */
export function keyScalars(scalars: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(scalars.length * 32);
  scalars.forEach((s, i) => writeLe(out, 32 * i, s));
  return out;
}

/** n random bases and scalars in the key's layouts. */
export function sampleMsmTerms(n: number): { bases: Uint8Array; scalars: Uint8Array } {
  return { bases: keyBases(randomPoints(n)), scalars: keyScalars(Array.from({ length: n }, randomScalar)) };
}
