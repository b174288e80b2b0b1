/**
 * Test points: random G1 bases in the proving key's layout (affine, coordinates 32-byte little-endian
 * in Montgomery form with R = 2^256, the identity as x = y = 0), scalars in theirs (32-byte
 * little-endian standard form), and points as the kernels' words.
 */
import { BN254_P, BN254_R, toLimbs, toMontgomery, type FieldLayout } from '../field-layout.ts';
import type { G1Point } from '../gpu-points.ts';
import { G1, randomPoints, randomScalar } from '../sample-terms.ts';

export { G1, keyBases, keyScalars, randomPoint, randomPoints, randomScalar } from '../sample-terms.ts';

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
