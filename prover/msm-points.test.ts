import { bn254 } from '@noble/curves/bn254.js';
import { describe, expect, it } from 'vitest';
import { BASE_FIELD_PRIME } from '../protocol/bn254.ts';
import type { G1Affine, G2Affine, MsmPoints } from './affine-points.ts';
import { MsmPointsError, type MsmPointsRejection } from './errors.ts';
import { addMsmPoints, decodeMsmPoints, encodeMsmPoints, type EncodedMsmPoints } from './msm-points.ts';

const { G1, G2 } = bn254;
const Fp2 = G2.Point.Fp;

function g1(k: bigint): G1Affine {
  const { x, y } = G1.Point.BASE.multiply(k).toAffine();
  return { x, y };
}

function g2(k: bigint): G2Affine {
  const { x, y } = G2.Point.BASE.multiply(k).toAffine();
  return { x: [x.c0, x.c1], y: [y.c0, y.c1] };
}

function points(k: bigint): MsmPoints {
  return { A: g1(k), B1: g1(k + 1n), B2: g2(k + 2n), C: g1(k + 3n), H: g1(k + 4n) };
}

const hex = (v: bigint) => v.toString(16).padStart(64, '0');

/** A point of the G2 twist curve that is not in the order-r subgroup. */
function g2OutsideSubgroup(): G2Affine {
  const b = G2.Point.CURVE().b;
  for (let i = 1n; ; i++) {
    const x = Fp2.create({ c0: i, c1: 1n });
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
    let y;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    const p = G2.Point.fromAffine({ x, y });
    if (!p.isTorsionFree()) return { x: [x.c0, x.c1], y: [y.c0, y.c1] };
  }
}

function rejection(encoded: unknown): MsmPointsRejection {
  try {
    decodeMsmPoints(encoded);
  } catch (err) {
    expect(err).toBeInstanceOf(MsmPointsError);
    expect(err).toMatchObject({ code: 'MSM_POINTS_INVALID' });
    return (err as MsmPointsError).reason;
  }
  throw new Error('the points were accepted');
}

const clone = (e: EncodedMsmPoints): EncodedMsmPoints => JSON.parse(JSON.stringify(e)) as EncodedMsmPoints;

describe('MSM points in transport', () => {
  it('survive JSON both ways, the identity included', () => {
    const p = { ...points(7n), C: null, B2: null };
    const wire = JSON.parse(JSON.stringify(encodeMsmPoints(p))) as unknown;
    expect(decodeMsmPoints(wire)).toEqual(p);
    expect((wire as EncodedMsmPoints).C).toEqual([hex(0n), hex(0n)]);
  });

  it('add up point by point', () => {
    expect(addMsmPoints(points(10n), points(20n))).toEqual({ A: g1(30n), B1: g1(32n), B2: g2(34n), C: g1(36n), H: g1(38n) });
    const zero: MsmPoints = { A: null, B1: null, B2: null, C: null, H: null };
    expect(addMsmPoints(points(5n), zero)).toEqual(points(5n));
    const neg = (p: G1Affine): G1Affine => (p ? { x: p.x, y: BASE_FIELD_PRIME - p.y } : null);
    expect(addMsmPoints(points(5n), { ...zero, A: neg(g1(5n)) }).A).toBeNull();
  });

  it('refuse points off their curve', () => {
    const e = clone(encodeMsmPoints(points(3n)));
    e.H[1] = hex(BigInt(`0x${e.H[1]}`) ^ 1n);
    expect(rejection(e)).toBe('NOT_ON_CURVE');
    const f = clone(encodeMsmPoints(points(3n)));
    f.B2[0][1] = hex(BigInt(`0x${f.B2[0][1]}`) + 1n);
    expect(rejection(f)).toBe('NOT_ON_CURVE');
    const half = clone(encodeMsmPoints(points(3n)));
    half.A = [hex(0n), hex(2n)];
    expect(rejection(half)).toBe('NOT_ON_CURVE');
  });

  it('refuse coordinates at or above p, even when they name a point mod p', () => {
    const e = clone(encodeMsmPoints(points(3n)));
    e.A[0] = hex(BASE_FIELD_PRIME);
    expect(rejection(e)).toBe('COORDINATE_OUT_OF_RANGE');
    const p = points(3n);
    const f = clone(encodeMsmPoints(p));
    f.B1[1] = hex(p.B1!.y + BASE_FIELD_PRIME);
    expect(rejection(f)).toBe('COORDINATE_OUT_OF_RANGE');
    const g = clone(encodeMsmPoints(p));
    g.B2[1][0] = hex((1n << 256n) - 1n);
    expect(rejection(g)).toBe('COORDINATE_OUT_OF_RANGE');
  });

  it('refuse a G2 point on the twist curve but outside the prime-order subgroup', () => {
    const bad = g2OutsideSubgroup();
    expect(rejection(encodeMsmPoints({ ...points(3n), B2: bad }))).toBe('NOT_IN_SUBGROUP');
  });

  it('refuse malformed encodings', () => {
    const good = encodeMsmPoints(points(3n));
    expect(rejection(null)).toBe('MALFORMED');
    expect(rejection([good])).toBe('MALFORMED');
    expect(rejection({ ...good, C: undefined })).toBe('MALFORMED');
    expect(rejection({ ...good, A: [good.A[0]] })).toBe('MALFORMED');
    expect(rejection({ ...good, A: [`0x${good.A[0].slice(2)}`, good.A[1]] })).toBe('MALFORMED');
    expect(rejection({ ...good, A: [good.A[0].toUpperCase(), good.A[1]] })).toBe('MALFORMED');
    expect(rejection({ ...good, H: [BigInt(`0x${good.H[0]}`).toString(), good.H[1]] })).toBe('MALFORMED');
    expect(rejection({ ...good, B2: [good.B2[0], good.B2[1][0]] })).toBe('MALFORMED');
  });
});
