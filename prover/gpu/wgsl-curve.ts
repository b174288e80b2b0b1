/**
 * WGSL for BN254 G1 (y^2 = x^3 + 3) in homogeneous projective coordinates with the complete formulas
 * of Renes, Costello and Batina (2015) for a = 0: addition (their algorithm 7) and mixed addition with
 * an affine point (algorithm 8; the affine point must not be the identity, which has no affine form).
 * The identity (0 : 1 : 0), P + P (the kernels double this way) and P + (-P) need no branches. Also storage
 * accessors for points in flat u32 buffers (`wgslPointAccess`).
 */
import type { FieldLayout } from './field-layout.ts';
import { wgslField } from './wgsl-field.ts';

/** The WGSL source of the field and the curve for `layout`. */
export function wgslCurve(layout: FieldLayout): string {
  return /* wgsl */ `${wgslField(layout)}
struct Proj { x: Fp, y: Fp, z: Fp }
struct Affine { x: Fp, y: Fp }

fn proj_identity() -> Proj {
  return Proj(Fp(), FP_ONE, Fp());
}

/** 3b t = 9 t. */
fn fp_mul_b3(t: Fp) -> Fp {
  let t2 = fp_double(t);
  let t8 = fp_double(fp_double(t2));
  return fp_add(t8, t);
}

fn affine_neg(q: Affine) -> Affine {
  return Affine(q.x, fp_neg(q.y));
}

fn proj_add(p: Proj, q: Proj) -> Proj {
  var t0 = fp_mul(p.x, q.x);
  var t1 = fp_mul(p.y, q.y);
  var t2 = fp_mul(p.z, q.z);
  var t3 = fp_mul(fp_add(p.x, p.y), fp_add(q.x, q.y));
  t3 = fp_sub(t3, fp_add(t0, t1));
  var t4 = fp_mul(fp_add(p.y, p.z), fp_add(q.y, q.z));
  t4 = fp_sub(t4, fp_add(t1, t2));
  var y3 = fp_mul(fp_add(p.x, p.z), fp_add(q.x, q.z));
  y3 = fp_sub(y3, fp_add(t0, t2));
  t0 = fp_add(fp_double(t0), t0);
  t2 = fp_mul_b3(t2);
  var z3 = fp_add(t1, t2);
  t1 = fp_sub(t1, t2);
  y3 = fp_mul_b3(y3);
  let x3 = fp_sub(fp_mul(t3, t1), fp_mul(t4, y3));
  y3 = fp_add(fp_mul(t1, z3), fp_mul(y3, t0));
  z3 = fp_add(fp_mul(z3, t4), fp_mul(t0, t3));
  return Proj(x3, y3, z3);
}

fn proj_add_affine(p: Proj, q: Affine) -> Proj {
  var t0 = fp_mul(p.x, q.x);
  var t1 = fp_mul(p.y, q.y);
  var t3 = fp_mul(fp_add(q.x, q.y), fp_add(p.x, p.y));
  t3 = fp_sub(t3, fp_add(t0, t1));
  let t4 = fp_add(fp_mul(q.y, p.z), p.y);
  var y3 = fp_add(fp_mul(q.x, p.z), p.x);
  t0 = fp_add(fp_double(t0), t0);
  var t2 = fp_mul_b3(p.z);
  var z3 = fp_add(t1, t2);
  t1 = fp_sub(t1, t2);
  y3 = fp_mul_b3(y3);
  let x3 = fp_sub(fp_mul(t3, t1), fp_mul(t4, y3));
  y3 = fp_add(fp_mul(t1, z3), fp_mul(y3, t0));
  z3 = fp_add(fp_mul(z3, t4), fp_mul(t0, t3));
  return Proj(x3, y3, z3);
}
`;
}

/**
 * WGSL accessors `load_<name>(i) -> Proj` and `store_<name>(i, Proj)` (or `Affine` for `affine`) for
 * the storage buffer `name`, a flat array of points of 3 (or 2) field elements each.
 */
export function wgslPointAccess(name: string, kind: 'proj' | 'affine', writable: boolean): string {
  const type = kind === 'proj' ? 'Proj' : 'Affine';
  const coords = kind === 'proj' ? ['x', 'y', 'z'] : ['x', 'y'];
  const stride = `${coords.length}u * FP_LIMBS`;
  const load = /* wgsl */ `
fn load_${name}(i: u32) -> ${type} {
  var v: ${type};
  let base = i * ${stride};
  for (var k = 0u; k < FP_LIMBS; k++) {
${coords.map((c, j) => `    v.${c}[k] = ${name}[base + ${j}u * FP_LIMBS + k];`).join('\n')}
  }
  return v;
}
`;
  const store = /* wgsl */ `
fn store_${name}(i: u32, v: ${type}) {
  let base = i * ${stride};
  for (var k = 0u; k < FP_LIMBS; k++) {
${coords.map((c, j) => `    ${name}[base + ${j}u * FP_LIMBS + k] = v.${c}[k];`).join('\n')}
  }
}
`;
  return writable ? load + store : load;
}
