/**
 * Parsing and validation of BN254 points and scalars as snarkjs writes them (decimal strings,
 * projective coordinates with z = 1). Everything that enters a pairing passes through here first:
 * coordinates must be canonical (< p), points on their curve, not the identity unless allowed, and G2
 * points in the prime-order subgroup (snarkjs and ffjavascript check none of the latter).
 */
import { FIELD_PRIME, SCALAR_ORDER, scalarBytes, type Bn254Engine, type EnginePoint } from './bn254-engine.ts';
import { fp2, onG1Curve, onG2Curve, psi, SIX_X_SQUARED, type Fp2 } from './bn254-fields.ts';
import { DrexError } from '../protocol/errors.ts';

/** Why a point or scalar was refused. */
export type PointRejection =
  | 'MALFORMED_POINT'
  | 'COORDINATE_OUT_OF_RANGE'
  | 'NOT_ON_CURVE'
  | 'POINT_AT_INFINITY'
  | 'NOT_IN_SUBGROUP'
  | 'MALFORMED_SCALAR'
  | 'SCALAR_OUT_OF_RANGE';

/** A point or scalar that must not reach the pairing, with the reason and which value it was. */
export class PointError extends DrexError {
  override name = 'PointError';
  constructor(
    readonly code: PointRejection,
    message: string,
  ) {
    super(message);
  }
}

/** An affine G1 point (bigint coordinates, < p); `null` is the identity. */
export type G1Affine = { x: bigint; y: bigint } | null;
/** An affine G2 point (Fp2 coordinates); `null` is the identity. */
export type G2Affine = { x: Fp2; y: Fp2 } | null;

const DECIMAL = /^\d{1,80}$/;

function decimal(v: unknown, what: string, code: 'MALFORMED_POINT' | 'MALFORMED_SCALAR'): bigint {
  if (typeof v !== 'string' || !DECIMAL.test(v)) throw new PointError(code, `${what} is not a decimal string`);
  return BigInt(v);
}

function coordinate(v: unknown, what: string): bigint {
  const x = decimal(v, what, 'MALFORMED_POINT');
  if (x >= FIELD_PRIME) throw new PointError('COORDINATE_OUT_OF_RANGE', `${what} is not below the base field prime`);
  return x;
}

/** A public signal: a decimal string strictly below the scalar field order r. */
export function parseScalar(v: unknown, what: string): bigint {
  const s = decimal(v, what, 'MALFORMED_SCALAR');
  if (s >= SCALAR_ORDER) throw new PointError('SCALAR_OUT_OF_RANGE', `${what} is not below the scalar field order r`);
  return s;
}

/**
 * A G1 point from snarkjs's [x, y, z]: z must be 1, or the identity is written [0, 1, 0] (allowed only
 * when `allowIdentity`). Checks the range of every coordinate and the curve equation (G1 has cofactor 1,
 * so on-curve means in the group).
 */
export function parseG1(v: unknown, what: string, allowIdentity = false): G1Affine {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) throw new PointError('MALFORMED_POINT', `${what} must be [x, y, z]`);
  const x = coordinate(v[0], `${what}.x`);
  const y = coordinate(v[1], `${what}.y`);
  const z = v.length === 3 ? coordinate(v[2], `${what}.z`) : 1n;
  if (z === 0n) {
    if (x !== 0n || y !== 1n) throw new PointError('MALFORMED_POINT', `${what}: the identity must be written [0, 1, 0]`);
    if (!allowIdentity) throw new PointError('POINT_AT_INFINITY', `${what} is the point at infinity`);
    return null;
  }
  if (z !== 1n) throw new PointError('MALFORMED_POINT', `${what}: z must be 1 (affine)`);
  if (x === 0n && y === 0n) {
    // (0, 0) is how the EVM precompiles write the identity.
    if (!allowIdentity) throw new PointError('POINT_AT_INFINITY', `${what} is the point at infinity`);
    return null;
  }
  if (!onG1Curve(x, y)) throw new PointError('NOT_ON_CURVE', `${what} is not on the BN254 G1 curve`);
  return { x, y };
}

function fp2Of(v: unknown, what: string): Fp2 {
  if (!Array.isArray(v) || v.length !== 2) throw new PointError('MALFORMED_POINT', `${what} must be [c0, c1]`);
  return { c0: coordinate(v[0], `${what}.c0`), c1: coordinate(v[1], `${what}.c1`) };
}

/**
 * A G2 point from snarkjs's [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]] with z = 1 (never the identity).
 * Checks ranges and the twist equation; subgroup membership is `inG2Subgroup`, which needs the engine.
 */
export function parseG2(v: unknown, what: string): { x: Fp2; y: Fp2 } {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) throw new PointError('MALFORMED_POINT', `${what} must be [x, y, z]`);
  const x = fp2Of(v[0], `${what}.x`);
  const y = fp2Of(v[1], `${what}.y`);
  const z = v.length === 3 ? fp2Of(v[2], `${what}.z`) : { c0: 1n, c1: 0n };
  const zero = (a: Fp2) => a.c0 === 0n && a.c1 === 0n;
  if (zero(z) || (zero(x) && zero(y))) throw new PointError('POINT_AT_INFINITY', `${what} is the point at infinity`);
  if (z.c0 !== 1n || z.c1 !== 0n) throw new PointError('MALFORMED_POINT', `${what}: z must be 1 (affine)`);
  if (!onG2Curve(x, y)) throw new PointError('NOT_ON_CURVE', `${what} is not on the BN254 G2 twist curve`);
  return { x, y };
}

/** The engine form of a validated G1 point (affine; the identity as the engine's zero). */
export function g1ToEngine(engine: Bn254Engine, p: G1Affine): EnginePoint {
  return p === null ? engine.G1.zero : engine.G1.fromObject([p.x, p.y, 1n]);
}

/** The engine form of a validated G2 point (affine). */
export function g2ToEngine(engine: Bn254Engine, p: { x: Fp2; y: Fp2 }): EnginePoint {
  return engine.G2.fromObject([
    [p.x.c0, p.x.c1],
    [p.y.c0, p.y.c1],
    [1n, 0n],
  ]);
}

const SIX_X_SQUARED_BYTES = scalarBytes(SIX_X_SQUARED, 16);

/**
 * True when an on-curve twist point lies in the order-r subgroup G2, by psi(Q) == [6X^2]Q: one 127-bit
 * scalar multiplication instead of the 254-bit [r]Q == O.
 */
export function inG2Subgroup(engine: Bn254Engine, q: { x: Fp2; y: Fp2 }): boolean {
  const m = engine.G2.timesScalar(g2ToEngine(engine, q), SIX_X_SQUARED_BYTES);
  if (engine.G2.isZero(m)) return false;
  const [[x0, x1], [y0, y1]] = engine.G2.toObject(engine.G2.toAffine(m));
  const e = psi(q.x, q.y);
  return fp2.eq(e.x, { c0: x0, c1: x1 }) && fp2.eq(e.y, { c0: y0, c1: y1 });
}

/** Parses a G2 point and requires it to be in G2 (throws `NOT_IN_SUBGROUP` otherwise). */
export function parseG2InSubgroup(engine: Bn254Engine, v: unknown, what: string): { x: Fp2; y: Fp2 } {
  const q = parseG2(v, what);
  if (!inG2Subgroup(engine, q)) throw new PointError('NOT_IN_SUBGROUP', `${what} is on the twist but not in the prime-order subgroup G2`);
  return q;
}
