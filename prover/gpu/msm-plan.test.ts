// The bucket plan on the CPU: signed digits recompose each scalar, and the CSR layout puts every
// non-zero digit's point in its bucket exactly once.
import { describe, expect, it } from 'vitest';
import { BN254_R } from './field-layout.ts';
import { planMsm, signedDigits, windowBitsFor } from './msm-plan.ts';
import { keyScalars, randomScalar } from './test-support/points.ts';

const edgeScalars = [0n, 1n, 2n, BN254_R - 1n, (1n << 253n) + 12345n, (1n << 254n) - 1n, (1n << 256n) - 1n];

describe('the MSM plan', () => {
  it.each([4, 8, 11, 13, 16])('signed %i-bit digits recompose each scalar mod r, within +-2^(c-1)', (c) => {
    const scalars = [...edgeScalars, ...Array.from({ length: 20 }, randomScalar)];
    const windows = Math.ceil(255 / c);
    const digits = signedDigits(keyScalars(scalars), new Uint8Array(scalars.length), c, windows);
    scalars.forEach((s, i) => {
      let v = 0n;
      for (let w = windows - 1; w >= 0; w--) {
        const d = digits[w * scalars.length + i]!;
        expect(Math.abs(d)).toBeLessThanOrEqual(2 ** (c - 1));
        v = (v << BigInt(c)) + BigInt(d);
      }
      expect(((v % BN254_R) + BN254_R) % BN254_R).toBe(s % BN254_R);
    });
  });

  it('puts each point in its buckets once, chunked, skipping zero digits and bases at infinity', () => {
    const scalars = [5n, 0n, 7n, 5n, BN254_R - 1n, 3n];
    const infinity = Uint8Array.from([0, 0, 0, 0, 0, 1]);
    const plan = planMsm(keyScalars(scalars), infinity, 4);
    const { windows, bucketsPerWindow: B, entries, chunkOffsets, bucketChunks } = plan;
    const digits = signedDigits(keyScalars(scalars), infinity, 4, windows);
    const seen: string[] = [];
    for (let b = 0; b < windows * B; b++) {
      for (let k = bucketChunks[b]!; k < bucketChunks[b + 1]!; k++) {
        for (let e = chunkOffsets[k]!; e < chunkOffsets[k + 1]!; e++) {
          const i = entries[e]! & 0x7fffffff;
          const d = digits[Math.floor(b / B) * scalars.length + i]!;
          expect(Math.abs(d)).toBe((b % B) + 1);
          expect(entries[e]! >>> 31).toBe(d < 0 ? 1 : 0);
          seen.push(`${Math.floor(b / B)}:${i}`);
        }
      }
    }
    const expected = [...digits].flatMap((d, k) => (d === 0 ? [] : [`${Math.floor(k / scalars.length)}:${k % scalars.length}`]));
    expect(seen.sort()).toEqual(expected.sort());
    expect(expected.some((e) => e.endsWith(':1') || e.endsWith(':5'))).toBe(false);
  });

  it('widens the window with n', () => {
    expect(windowBitsFor(1)).toBe(4);
    expect(windowBitsFor(1 << 14)).toBeGreaterThan(windowBitsFor(1 << 10));
    expect(windowBitsFor(1 << 24)).toBeLessThanOrEqual(16);
  });
});
