/**
 * Test points: random G1 bases in the proving key's layout (affine, coordinates 32-byte little-endian
 * in Montgomery form with R = 2^256, the identity as x = y = 0), scalars in theirs (32-byte
 * little-endian standard form), and points as the kernels' words.
 */
import { randomBytes } from 'node:crypto';
import { normalizeZ } from '@noble/curves/abstract/curve.js';
import { bn254 } from '@noble/curves/bn254.js';
import { BN254_P, BN254_R, KEY_MONTGOMERY_R, toLimbs, toMontgomery, type FieldLayout } from '../field-layout.ts';
import type { G1Point } from '../gpu-points.ts';

export const G1 = bn254.G1.Point;

/** A uniformly random scalar below r. */
export function randomScalar(): bigint {
  return BigInt(`0x${randomBytes(40).toString('hex')}`) % BN254_R;
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

/**
 * n random terms mixed with the degenerate ones an MSM must get right: zero scalars, r - 1, ones, points
 * at infinity and repeated points (each every few terms).
 */
export function mixedTerms(n: number): { points: G1Point[]; scalars: bigint[] } {
  const points = randomPoints(n);
  const scalars = points.map(() => randomScalar());
  for (let i = 0; i < n; i += 7) scalars[i] = 0n;
  for (let i = 3; i < n; i += 11) scalars[i] = BN254_R - 1n;
  for (let i = 5; i < n; i += 13) points[i] = G1.ZERO;
  for (let i = 1; i < n; i += 17) points[i] = points[0]!;
  for (let i = 2; i < n; i += 19) scalars[i] = 1n;
  return { points, scalars };
}

/** Scalars in the key's layout: 32-byte little-endian standard form. */
export function keyScalars(scalars: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(scalars.length * 32);
  scalars.forEach((s, i) => writeLe(out, 32 * i, s));
  return out;
}

/** A point as the kernels' projective words, scaled by `z` (any non-zero z gives the same point). */
export function projWords(p: G1Point, layout: FieldLayout, z = 1n): number[] {
  const m = (v: bigint) => toLimbs(toMontgomery(v % BN254_P, layout), layout);
  if (p.is0()) return [...m(0n), ...m(z), ...m(0n)];
  const { x, y } = p.toAffine();
  return [...m(x * z), ...m(y * z), ...m(z)];
}

/** An affine point (not the identity) as the kernels' affine words. */
export function affineWords(p: G1Point, layout: FieldLayout): number[] {
  return projWords(p, layout).slice(0, 2 * layout.limbs);
}
