/**
 * The engine-neutral form of the prover's points: affine coordinates as bigints (< p, standard form),
 * the identity as `null`; and their conversion from and to ffjavascript's byte strings.
 */
import type { CurveGroup, G1Object, G2Object } from './curve.ts';

/** An element of Fp2 as [c0, c1] (c0 + c1 * u). */
export type Fp2 = readonly [c0: bigint, c1: bigint];
/** An affine G1 point; `null` is the identity. */
export type G1Affine = { readonly x: bigint; readonly y: bigint } | null;
/** An affine G2 point (over Fp2); `null` is the identity. */
export type G2Affine = { readonly x: Fp2; readonly y: Fp2 } | null;

/** The five MSM results of a Groth16 prove (or of one half of a split prove). */
export interface MsmPoints {
  /** sum w_i * A_i (G1). */
  A: G1Affine;
  /** sum w_i * B_i in G1. */
  B1: G1Affine;
  /** sum w_i * B_i in G2. */
  B2: G2Affine;
  /** sum over private signals of w_i * C_i (G1). */
  C: G1Affine;
  /** sum h_j * H_j (G1), h the quotient's values. */
  H: G1Affine;
}

/** An ffjavascript G1 point (affine or Jacobian) as affine bigints. */
export function g1FromCurve(G1: CurveGroup<G1Object>, p: Uint8Array): G1Affine {
  if (G1.isZero(p)) return null;
  const [x, y] = G1.toObject(G1.toAffine(p));
  return { x, y };
}

/** An ffjavascript G2 point (affine or Jacobian) as affine bigints. */
export function g2FromCurve(G2: CurveGroup<G2Object>, p: Uint8Array): G2Affine {
  if (G2.isZero(p)) return null;
  const [x, y] = G2.toObject(G2.toAffine(p));
  return { x: [x[0], x[1]], y: [y[0], y[1]] };
}

/** Affine bigints as an ffjavascript G1 point (no validation: the caller's points are trusted or checked). */
export function g1ToCurve(G1: CurveGroup<G1Object>, p: G1Affine): Uint8Array {
  return p === null ? G1.zero : G1.fromObject([p.x, p.y]);
}

/** Affine bigints as an ffjavascript G2 point (no validation). */
export function g2ToCurve(G2: CurveGroup<G2Object>, p: G2Affine): Uint8Array {
  return p === null ? G2.zero : G2.fromObject([[p.x[0], p.x[1]], [p.y[0], p.y[1]]]);
}
