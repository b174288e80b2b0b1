// The WGSL curve formulas against noble: complete addition and mixed addition, with the identity,
// P + P and P + (-P) among the cases, on the default 16-bit limbs (field.test.ts covers every width).
import { afterAll, describe, expect, it } from 'vitest';
import { BN254_P, fieldLayout, type FieldLayout } from './field-layout.ts';
import { wgslEntry } from './gpu-compute.ts';
import { pointFromWords, type G1Point } from './gpu-points.ts';
import { closeTestDevice, testDevice } from './test-support/gpu-device.ts';
import { affineWords, G1, projWords, randomPoint, randomScalar } from './test-support/points.ts';
import { runKernel } from './test-support/run-kernel.ts';
import { wgslCurve, wgslPointAccess } from './wgsl-curve.ts';

afterAll(closeTestDevice);

/** For each case: out[2 i] = p + q, out[2 i + 1] = p + affine(q) (q not the identity). */
function curveKernel(layout: FieldLayout): string {
  return `${wgslCurve(layout)}
struct Params { count: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ps: array<u32>;
@group(0) @binding(2) var<storage, read> qs: array<u32>;
@group(0) @binding(3) var<storage, read> qa: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;
${wgslPointAccess('ps', 'proj', false)}
${wgslPointAccess('qs', 'proj', false)}
${wgslPointAccess('qa', 'affine', false)}
${wgslPointAccess('out', 'proj', true)}
${wgslEntry(
  'main',
  `  let p = load_ps(tid);
  store_out(2u * tid, proj_add(p, load_qs(tid)));
  store_out(2u * tid + 1u, proj_add_affine(p, load_qa(tid)));`,
)}`;
}

describe('the WGSL curve', () => {
  it('adds and adds mixed like noble, P + P and the identity included', async () => {
    const layout = fieldLayout();
    const P = randomPoint();
    const Q = randomPoint();
    const O = G1.ZERO;
    const cases: [G1Point, G1Point][] = [[P, Q], [P, P], [P, P.negate()], [O, Q], [P, O], [O, O], [Q, P.add(Q)], [P.double(), P]];
    for (let i = 0; i < 8; i++) cases.push([randomPoint(), randomPoint()]);
    const z = () => randomScalar() % BN254_P || 1n;
    const ps = cases.flatMap(([p]) => projWords(p, layout, z()));
    const qs = cases.flatMap(([, q]) => projWords(q, layout, z()));
    // The mixed addition's q is never the identity: those cases take P there.
    const qa = cases.flatMap(([, q]) => affineWords(q.is0() ? P : q, layout));
    const words = await runKernel(await testDevice(), curveKernel(layout), 'main', cases.length, [ps, qs, qa].map((w) => Uint32Array.from(w)), cases.length * 6 * layout.limbs);
    cases.forEach(([p, q], i) => {
      expect(pointFromWords(words, 2 * i, layout).equals(p.add(q)), `case ${i}: p + q`).toBe(true);
      expect(pointFromWords(words, 2 * i + 1, layout).equals(p.add(q.is0() ? P : q)), `case ${i}: p + affine q`).toBe(true);
    });
  }, 600_000);
});
