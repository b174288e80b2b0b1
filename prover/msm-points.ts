/**
 * The five MSM points in transport: a JSON-safe encoding, its validating decoder, and the sum of two
 * halves' points.
 *
 * Encoding: every coordinate is a 64-character lowercase hex string, the 32-byte big-endian field
 * element (< p, standard form). G1 points are [x, y]; the G2 point is [[x.c0, x.c1], [y.c0, y.c1]]
 * (real part first, as snarkjs writes it). The identity is all coordinates zero (EIP-196/197's
 * encoding: (0, 0) is on neither curve, so it cannot mean anything else).
 *
 * Decoding checks every coordinate's form and range, that each point is on its curve, and that the G2
 * point is in the prime-order subgroup (G1 has cofactor 1). Curve checks use @noble/curves' bn254.
 */
import { bn254 } from '@noble/curves/bn254.js';
import { BASE_FIELD_PRIME } from '../protocol/bn254.ts';
import type { Fp2, G1Affine, G2Affine, MsmPoints } from './affine-points.ts';
import { MsmPointsError } from './errors.ts';

/** A G1 point: [x, y], 64-hex-digit big-endian coordinates. */
export type EncodedG1 = [x: string, y: string];
/** A G2 point: [[x.c0, x.c1], [y.c0, y.c1]]. */
export type EncodedG2 = [x: [c0: string, c1: string], y: [c0: string, c1: string]];

/** MsmPoints as JSON-safe strings (see the module comment). */
export interface EncodedMsmPoints {
  A: EncodedG1;
  B1: EncodedG1;
  B2: EncodedG2;
  C: EncodedG1;
  H: EncodedG1;
}

const G1_NAMES = ['A', 'B1', 'C', 'H'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const G1Point = bn254.G1.Point;
const G2Point = bn254.G2.Point;
type NobleG1 = InstanceType<typeof G1Point>;
type NobleG2 = InstanceType<typeof G2Point>;

const hex = (v: bigint): string => v.toString(16).padStart(64, '0');

function encodeG1(p: G1Affine): EncodedG1 {
  return p === null ? [hex(0n), hex(0n)] : [hex(p.x), hex(p.y)];
}

function encodeG2(p: G2Affine): EncodedG2 {
  return p === null
    ? [
        [hex(0n), hex(0n)],
        [hex(0n), hex(0n)],
      ]
    : [
        [hex(p.x[0]), hex(p.x[1])],
        [hex(p.y[0]), hex(p.y[1])],
      ];
}

/** The points as JSON-safe strings. */
export function encodeMsmPoints(points: MsmPoints): EncodedMsmPoints {
  return { A: encodeG1(points.A), B1: encodeG1(points.B1), B2: encodeG2(points.B2), C: encodeG1(points.C), H: encodeG1(points.H) };
}

function coordinate(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !HEX64.test(v)) throw new MsmPointsError('MALFORMED', `${what} is not 64 lowercase hex digits`);
  const x = BigInt(`0x${v}`);
  if (x >= BASE_FIELD_PRIME) throw new MsmPointsError('COORDINATE_OUT_OF_RANGE', `${what} is not below the base field prime p`);
  return x;
}

function pair(v: unknown, what: string): [unknown, unknown] {
  if (!Array.isArray(v) || v.length !== 2) throw new MsmPointsError('MALFORMED', `${what} is not a pair`);
  return [v[0], v[1]];
}

function decodeG1(v: unknown, what: string): G1Affine {
  const [ex, ey] = pair(v, what);
  const x = coordinate(ex, `${what}.x`);
  const y = coordinate(ey, `${what}.y`);
  if (x === 0n && y === 0n) return null;
  try {
    G1Point.fromAffine({ x, y }).assertValidity();
  } catch {
    throw new MsmPointsError('NOT_ON_CURVE', `${what} is not on the G1 curve`);
  }
  return { x, y };
}

function decodeFp2(v: unknown, what: string): Fp2 {
  const [c0, c1] = pair(v, what);
  return [coordinate(c0, `${what}.c0`), coordinate(c1, `${what}.c1`)];
}

function decodeG2(v: unknown, what: string): G2Affine {
  const [ex, ey] = pair(v, what);
  const x = decodeFp2(ex, `${what}.x`);
  const y = decodeFp2(ey, `${what}.y`);
  if (x[0] === 0n && x[1] === 0n && y[0] === 0n && y[1] === 0n) return null;
  const p = G2Point.fromAffine({ x: { c0: x[0], c1: x[1] }, y: { c0: y[0], c1: y[1] } });
  const { Fp } = G2Point;
  const rhs = Fp.add(Fp.mul(Fp.sqr(p.X), p.X), bn254.G2.Point.CURVE().b);
  if (!Fp.eql(Fp.sqr(p.Y), rhs)) throw new MsmPointsError('NOT_ON_CURVE', `${what} is not on the G2 twist curve`);
  if (!p.isTorsionFree()) throw new MsmPointsError('NOT_IN_SUBGROUP', `${what} is not in the prime-order subgroup of G2`);
  return { x, y };
}

/** Decodes and validates points from an untrusted source; throws MsmPointsError with the reason. */
export function decodeMsmPoints(encoded: unknown): MsmPoints {
  if (typeof encoded !== 'object' || encoded === null || Array.isArray(encoded)) throw new MsmPointsError('MALFORMED', 'MSM points must be an object');
  const e = encoded as Record<string, unknown>;
  const [A, B1, C, H] = G1_NAMES.map((k) => decodeG1(e[k], k)) as [G1Affine, G1Affine, G1Affine, G1Affine];
  return { A, B1, B2: decodeG2(e.B2, 'B2'), C, H };
}

function toNobleG1(p: G1Affine): NobleG1 {
  return p === null ? G1Point.ZERO : G1Point.fromAffine(p);
}

function toNobleG2(p: G2Affine): NobleG2 {
  return p === null ? G2Point.ZERO : G2Point.fromAffine({ x: { c0: p.x[0], c1: p.x[1] }, y: { c0: p.y[0], c1: p.y[1] } });
}

function fromNobleG1(p: NobleG1): G1Affine {
  if (p.is0()) return null;
  const { x, y } = p.toAffine();
  return { x, y };
}

function fromNobleG2(p: NobleG2): G2Affine {
  if (p.is0()) return null;
  const { x, y } = p.toAffine();
  return { x: [x.c0, x.c1], y: [y.c0, y.c1] };
}

/** The sum of two halves' points (each MSM is linear in its scalars). */
export function addMsmPoints(a: MsmPoints, b: MsmPoints): MsmPoints {
  const g1 = (p: G1Affine, q: G1Affine) => fromNobleG1(toNobleG1(p).add(toNobleG1(q)));
  return {
    A: g1(a.A, b.A),
    B1: g1(a.B1, b.B1),
    B2: fromNobleG2(toNobleG2(a.B2).add(toNobleG2(b.B2))),
    C: g1(a.C, b.C),
    H: g1(a.H, b.H),
  };
}
