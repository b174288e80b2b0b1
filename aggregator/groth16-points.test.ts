import { randomBytes } from 'node:crypto';
import { bn254 } from '@noble/curves/bn254.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bn254Engine, FIELD_PRIME, SCALAR_ORDER, scalarBytes, type Bn254Engine } from './bn254-engine.ts';
import { fp2, onG2Curve, psi, SIX_X_SQUARED, TWIST_B, type Fp2 } from './bn254-fields.ts';
import { g2ToEngine, inG2Subgroup, parseG1, parseG2, parseG2InSubgroup, parseScalar, PointError, type PointRejection } from './groth16-points.ts';

const Fp2Noble = bn254.fields.Fp2;
/** Order of the twist E'(Fp2) is r * h with h = 2p - r. */
const G2_COFACTOR = 2n * FIELD_PRIME - SCALAR_ORDER;

const rand = () => BigInt(`0x${randomBytes(32).toString('hex')}`) % FIELD_PRIME;

/** A random point of the twist y^2 = x^3 + 3/(9+u), cofactor NOT cleared (so almost surely not in G2). */
function randomTwistPoint(): { x: Fp2; y: Fp2 } {
  for (;;) {
    const x = fp2.of(rand(), rand());
    const rhs = fp2.add(fp2.mul(fp2.sqr(x), x), TWIST_B);
    try {
      const y = Fp2Noble.sqrt(Fp2Noble.fromBigTuple([rhs.c0, rhs.c1]));
      return { x, y: fp2.of(y.c0, y.c1) };
    } catch {
      // not a square: try another x
    }
  }
}

const asJson = (p: { x: Fp2; y: Fp2 }) => [
  [String(p.x.c0), String(p.x.c1)],
  [String(p.y.c0), String(p.y.c1)],
  ['1', '0'],
];

function engineMul(engine: Bn254Engine, p: { x: Fp2; y: Fp2 }, k: bigint): { x: Fp2; y: Fp2 } | null {
  const m = engine.G2.timesScalar(g2ToEngine(engine, p), scalarBytes(k, 64));
  if (engine.G2.isZero(m)) return null;
  const [[x0, x1], [y0, y1]] = engine.G2.toObject(engine.G2.toAffine(m));
  return { x: fp2.of(x0, x1), y: fp2.of(y0, y1) };
}

function rejection(fn: () => unknown): PointRejection {
  try {
    fn();
  } catch (err) {
    if (err instanceof PointError) return err.code;
    throw err;
  }
  throw new Error('expected a PointError');
}

describe('BN254 point validation', () => {
  let engine: Bn254Engine;
  const gen = bn254.G2.Point.BASE.toAffine();
  const G = { x: fp2.of(gen.x.c0, gen.x.c1), y: fp2.of(gen.y.c0, gen.y.c1) };
  beforeAll(async () => {
    engine = await bn254Engine();
  });

  it('psi acts as [6X^2] on G2, whose points pass the subgroup test', () => {
    expect(onG2Curve(G.x, G.y)).toBe(true);
    const m = engineMul(engine, G, SIX_X_SQUARED)!;
    const e = psi(G.x, G.y);
    expect(fp2.eq(e.x, m.x) && fp2.eq(e.y, m.y)).toBe(true);
    for (let i = 0; i < 3; i++) {
      const q = engineMul(engine, G, rand())!;
      expect(inG2Subgroup(engine, q)).toBe(true);
      expect(engineMul(engine, q, SCALAR_ORDER)).toBeNull();
    }
  });

  it('refuses twist points outside the prime-order subgroup, agreeing with [r]Q == O and noble', () => {
    for (let i = 0; i < 4; i++) {
      const q = randomTwistPoint();
      expect(onG2Curve(q.x, q.y)).toBe(true);
      expect(engineMul(engine, q, SCALAR_ORDER)).not.toBeNull(); // not of order r
      expect(engineMul(engine, q, SCALAR_ORDER * G2_COFACTOR)).toBeNull(); // but on the twist
      const noble = bn254.G2.Point.fromAffine({ x: Fp2Noble.fromBigTuple([q.x.c0, q.x.c1]), y: Fp2Noble.fromBigTuple([q.y.c0, q.y.c1]) });
      expect(noble.isTorsionFree()).toBe(false);
      expect(inG2Subgroup(engine, q)).toBe(false);
      expect(parseG2(asJson(q), 'q')).toEqual(q); // on-curve: parses
      expect(rejection(() => parseG2InSubgroup(engine, asJson(q), 'q'))).toBe('NOT_IN_SUBGROUP');
      const cleared = engineMul(engine, q, G2_COFACTOR)!;
      expect(inG2Subgroup(engine, cleared)).toBe(true);
    }
  });

  it('refuses a point of small order (10069) on the twist', () => {
    expect(G2_COFACTOR % 10069n).toBe(0n);
    let t: { x: Fp2; y: Fp2 } | null = null;
    while (t === null) t = engineMul(engine, randomTwistPoint(), SCALAR_ORDER * (G2_COFACTOR / 10069n));
    expect(engineMul(engine, t, 10069n)).toBeNull();
    expect(onG2Curve(t.x, t.y)).toBe(true);
    expect(inG2Subgroup(engine, t)).toBe(false);
  });

  it('refuses non-canonical coordinates, off-curve points, the identity and bad scalars', () => {
    const g1 = bn254.G1.Point.BASE.multiply(5n).toAffine();
    expect(parseG1([String(g1.x), String(g1.y), '1'], 'a')).toEqual({ x: g1.x, y: g1.y });
    expect(rejection(() => parseG1([String(g1.x + FIELD_PRIME), String(g1.y), '1'], 'a'))).toBe('COORDINATE_OUT_OF_RANGE');
    expect(rejection(() => parseG1([String(g1.x), String(g1.y + 1n), '1'], 'a'))).toBe('NOT_ON_CURVE');
    expect(rejection(() => parseG1(['0', '1', '0'], 'a'))).toBe('POINT_AT_INFINITY');
    expect(rejection(() => parseG1(['0', '0', '1'], 'a'))).toBe('POINT_AT_INFINITY');
    expect(parseG1(['0', '1', '0'], 'ic', true)).toBeNull();
    expect(rejection(() => parseG1([String(g1.x), String(g1.y), '2'], 'a'))).toBe('MALFORMED_POINT');
    expect(rejection(() => parseG1(['0x1', '2', '1'], 'a'))).toBe('MALFORMED_POINT');
    const bad = asJson(G);
    bad[1]![0] = String(G.y.c0 + FIELD_PRIME);
    expect(rejection(() => parseG2(bad, 'b'))).toBe('COORDINATE_OUT_OF_RANGE');
    bad[1]![0] = String((G.y.c0 + 1n) % FIELD_PRIME);
    expect(rejection(() => parseG2(bad, 'b'))).toBe('NOT_ON_CURVE');
    expect(rejection(() => parseG2([['0', '0'], ['0', '0'], ['1', '0']], 'b'))).toBe('POINT_AT_INFINITY');
    expect(parseScalar(String(SCALAR_ORDER - 1n), 's')).toBe(SCALAR_ORDER - 1n);
    expect(rejection(() => parseScalar(String(SCALAR_ORDER), 's'))).toBe('SCALAR_OUT_OF_RANGE');
    expect(rejection(() => parseScalar('-1', 's'))).toBe('MALFORMED_SCALAR');
  });
});
