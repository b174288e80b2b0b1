import { bn254 } from '@noble/curves/bn254.js';
import { describe, expect, it } from 'vitest';
import type { MsmPointsJson } from '../../protocol/messages/half.ts';
import { wrongPoint } from './worker-fault.ts';

const G1 = bn254.G1.Point;
const hex = (v: bigint) => v.toString(16).padStart(64, '0');
const ZERO: [string, string] = [hex(0n), hex(0n)];
const enc = (p: InstanceType<typeof G1>): [string, string] => {
  const { x, y } = p.toAffine();
  return [hex(x), hex(y)];
};
const dec = (p: [string, string]) => G1.fromAffine({ x: BigInt(`0x${p[0]}`), y: BigInt(`0x${p[1]}`) });

describe('the wrong-point fault', () => {
  const b2 = bn254.G2.Point.BASE.multiply(7n).toAffine();
  const points: MsmPointsJson = {
    A: enc(G1.BASE.multiply(11n)),
    B1: enc(G1.BASE.multiply(12n)),
    B2: [
      [hex(b2.x.c0), hex(b2.x.c1)],
      [hex(b2.y.c0), hex(b2.y.c1)],
    ],
    C: ZERO,
    H: enc(G1.BASE.multiply(14n)),
  };

  it('replaces A by A + G, a point on G1, and leaves the other points alone', () => {
    const wrong = wrongPoint(points);
    expect(wrong.A).not.toEqual(points.A);
    const a = dec(wrong.A);
    a.assertValidity();
    expect(a.equals(G1.BASE.multiply(12n))).toBe(true);
    expect({ ...wrong, A: points.A }).toEqual(points);
  });

  it('turns an A at the identity (zero coordinates) into G, and -G into the identity', () => {
    expect(wrongPoint({ ...points, A: ZERO }).A).toEqual(enc(G1.BASE));
    expect(wrongPoint({ ...points, A: enc(G1.BASE.negate()) }).A).toEqual(ZERO);
  });
});
