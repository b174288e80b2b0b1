/**
 * The BN254 arithmetic engine of the aggregator: ffjavascript's WASM curve (the same code snarkjs
 * verifies with), built single-threaded so that it owns no worker threads, never keeps the process
 * alive and is never shared with (or terminated by) snarkjs's cached multi-threaded curve.
 *
 * Points are ffjavascript byte strings in Montgomery form: affine (2 coordinates) or Jacobian (3).
 * Only the subset of the engine that the aggregator uses is typed here.
 */
import { buildBn128 } from 'ffjavascript';
import { BASE_FIELD_PRIME, SCALAR_ORDER } from '../protocol/bn254.ts';

/** Base field prime p of BN254 (coordinates are < p). */
export const FIELD_PRIME = BASE_FIELD_PRIME;
export { SCALAR_ORDER };

/** An element of G1 or G2 as ffjavascript stores it. */
export type EnginePoint = Uint8Array;

/** The part of an ffjavascript group (G1 or G2) that the aggregator uses. */
export interface EngineGroup<C> {
  zero: EnginePoint;
  fromObject(p: C): EnginePoint;
  toObject(p: EnginePoint): C;
  toAffine(p: EnginePoint): EnginePoint;
  add(a: EnginePoint, b: EnginePoint): EnginePoint;
  neg(a: EnginePoint): EnginePoint;
  eq(a: EnginePoint, b: EnginePoint): boolean;
  isZero(a: EnginePoint): boolean;
  /** [s]a, s little-endian bytes (its width sets the cost). */
  timesScalar(a: EnginePoint, s: Uint8Array): EnginePoint;
}

/** G1 coordinates as ffjavascript reads them: [x, y, z]. */
export type G1Object = [bigint, bigint, bigint];
/** G2 coordinates as ffjavascript reads them: [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]. */
export type G2Object = [[bigint, bigint], [bigint, bigint], [bigint, bigint]];

/** The part of ffjavascript's bn128 curve that the aggregator uses. */
export interface Bn254Engine {
  G1: EngineGroup<G1Object>;
  G2: EngineGroup<G2Object>;
  /** True when the product of the pairings of (g1_k, g2_k) is 1 in GT (one final exponentiation). */
  pairingEq(...pairs: EnginePoint[]): Promise<boolean>;
}

let engine: Promise<Bn254Engine> | undefined;

/** The process's single-threaded BN254 engine, built on first use (~100 ms). */
export function bn254Engine(): Promise<Bn254Engine> {
  // Library boundary: ffjavascript is untyped; the interface above is the subset used.
  engine ??= (buildBn128(true) as Promise<Bn254Engine>).catch((err: unknown) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

/** A scalar as little-endian bytes of fixed `width` (ffjavascript's scalar format). */
export function scalarBytes(s: bigint, width = 32): Uint8Array {
  const out = new Uint8Array(width);
  let v = s;
  for (let i = 0; i < width && v > 0n; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError(`scalar does not fit in ${width} bytes`);
  return out;
}

/**
 * sum_i s_i * P_i by one scalar multiplication per point (at the sizes of a batch, 10-100 points, this
 * beats the engine's bucket MSM, whose setup dominates). Identity points are skipped.
 */
export function linearCombination<C>(G: EngineGroup<C>, points: readonly EnginePoint[], scalars: readonly Uint8Array[]): EnginePoint {
  let acc = G.zero;
  points.forEach((p, i) => {
    const s = scalars[i];
    if (s !== undefined && !G.isZero(p)) acc = G.add(acc, G.timesScalar(p, s));
  });
  return acc;
}
