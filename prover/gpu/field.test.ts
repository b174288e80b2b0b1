// The WGSL field against bigints: Montgomery mul, add and sub for every limb width, on random and edge values.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { BN254_P, fieldLayout, fromLimbs, MAX_LIMB_BITS, MIN_LIMB_BITS, toLimbs, type FieldLayout } from './field-layout.ts';
import { wgslEntry } from './gpu-compute.ts';
import { closeTestDevice, testDevice } from './test-support/gpu-device.ts';
import { runKernel } from './test-support/run-kernel.ts';
import { wgslField } from './wgsl-field.ts';

afterAll(closeTestDevice);

const randomFp = (): bigint => BigInt(`0x${randomBytes(32).toString('hex')}`) % BN254_P;
const edges = [0n, 1n, 2n, BN254_P - 1n, BN254_P - 2n, (BN254_P - 1n) / 2n, (1n << 253n) - 1n];

/** A kernel writing mul, add, sub, neg of a[i], b[i] at out[4 i + k]. */
function fieldKernel(layout: FieldLayout): string {
  return `${wgslField(layout)}
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn load(i: u32, from_b: bool) -> Fp {
  var x: Fp;
  for (var k = 0u; k < FP_LIMBS; k++) { x[k] = select(a[i * FP_LIMBS + k], b[i * FP_LIMBS + k], from_b); }
  return x;
}

fn store(slot: u32, v: Fp) {
  var x = v;
  for (var k = 0u; k < FP_LIMBS; k++) { out[slot * FP_LIMBS + k] = x[k]; }
}
${wgslEntry(
  'main',
  `  let x = load(tid, false);
  let y = load(tid, true);
  store(4u * tid, fp_mul(x, y));
  store(4u * tid + 1u, fp_add(x, y));
  store(4u * tid + 2u, fp_sub(x, y));
  store(4u * tid + 3u, fp_neg(x));`,
)}`;
}

const widths = Array.from({ length: MAX_LIMB_BITS - MIN_LIMB_BITS + 1 }, (_, i) => MIN_LIMB_BITS + i);

describe('the WGSL field', () => {
  it.each(widths)('computes mul (Montgomery), add, sub and neg like bigints with %i-bit limbs', async (bits) => {
    const layout = fieldLayout(bits);
    const pairs: [bigint, bigint][] = [];
    for (const x of edges) for (const y of edges) pairs.push([x, y]);
    for (let i = 0; i < 64; i++) pairs.push([randomFp(), randomFp()]);
    const pack = (k: 0 | 1) => Uint32Array.from(pairs.flatMap((pair) => toLimbs(pair[k], layout)));
    const L = layout.limbs;
    const out = await runKernel(await testDevice(), fieldKernel(layout), 'main', pairs.length, [pack(0), pack(1)], pairs.length * 4 * L);
    const read = (slot: number) => {
      const limbs = out.subarray(slot * L, (slot + 1) * L);
      for (const limb of limbs) expect(limb).toBeLessThanOrEqual(layout.mask);
      return fromLimbs(limbs, layout);
    };
    const mod = (v: bigint) => ((v % BN254_P) + BN254_P) % BN254_P;
    pairs.forEach(([x, y], i) => {
      expect(read(4 * i), `${x} * ${y}`).toBe(mod(x * y * layout.rInv));
      expect(read(4 * i + 1), `${x} + ${y}`).toBe(mod(x + y));
      expect(read(4 * i + 2), `${x} - ${y}`).toBe(mod(x - y));
      expect(read(4 * i + 3), `-${x}`).toBe(mod(-x));
    });
  }, 600_000);

  it('refuses limb widths it cannot carry', () => {
    expect(() => fieldLayout(12)).toThrow(RangeError);
    expect(() => fieldLayout(17)).toThrow(RangeError);
  });

  it('converts bigints to limbs and back', () => {
    const layout = fieldLayout(13);
    expect(layout.limbs).toBe(20);
    expect(fieldLayout(16).limbs).toBe(16);
    for (const x of [0n, 1n, BN254_P - 1n, (1n << 256n) - 1n]) expect(fromLimbs(toLimbs(x, layout), layout)).toBe(x);
  });

  it.each(widths)('turns the key\'s Montgomery form (R = 2^256) into that of %i-bit limbs with one product', (bits) => {
    const layout = fieldLayout(bits);
    const x = randomFp();
    const keyForm = (x << 256n) % BN254_P;
    expect((keyForm * fromLimbs(layout.fromKeyForm, layout) * layout.rInv) % BN254_P).toBe((x * layout.r) % BN254_P);
  });
});
