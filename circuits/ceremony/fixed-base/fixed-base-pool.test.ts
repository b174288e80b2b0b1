import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBn128 } from 'ffjavascript';
import { FIELD_ORDER } from '../../model/crypto.ts';
import { randomNonZero, toLeBytes } from '../scalar-field.ts';
import { createFixedBasePool, windowFor, type FixedBasePool } from './fixed-base-pool.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let curve: any;
let pool: FixedBasePool;
beforeAll(async () => {
  curve = await buildBn128(true);
  pool = await createFixedBasePool(2);
});
afterAll(async () => {
  await pool.close();
  await curve.terminate();
});

const edge = [0n, 1n, 2n, (1n << 128n) + 1n, FIELD_ORDER - 1n];

describe('fixed-base pool', () => {
  for (const group of ['G1', 'G2'] as const) {
    it(`multiplies the ${group} generator exactly as ffjavascript does, edge scalars included`, async () => {
      const scalars = [...edge, ...Array.from({ length: 3000 }, () => randomNonZero())];
      const points = await pool.multiply(group, toLeBytes(scalars));
      const G = curve[group];
      const size = group === 'G1' ? 64 : 128;
      expect(points.length).toBe(scalars.length * size);
      for (const i of [0, 1, 2, 3, 4, 5, 1234, 2047, 2048, 3004]) {
        const want = new Uint8Array(size);
        G.toRprLEM(want, 0, G.toAffine(G.timesScalar(G.g, scalars[i])));
        expect(Buffer.from(points.subarray(i * size, (i + 1) * size)).equals(Buffer.from(want)), `scalar #${i}`).toBe(true);
      }
    });
  }

  it('refuses scalars that are not whole 32-byte words', async () => {
    await expect(pool.multiply('G1', new Uint8Array(33))).rejects.toThrow(RangeError);
  });

  it('picks wider windows for larger batches', () => {
    expect(windowFor(100)).toBeLessThan(windowFor(100_000));
    expect(windowFor(10_000_000)).toBe(16);
  });
});
