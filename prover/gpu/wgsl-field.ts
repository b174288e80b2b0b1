/**
 * WGSL for the BN254 base field over the limbs of a `FieldLayout`: `Fp` (an array of limbs, each in
 * a u32), fp_add, fp_sub, fp_double, fp_mul (Montgomery, CIOS without the extra carry words: p's top
 * limb leaves room), and a loader from a flat `array<u32>` storage buffer. Values stay fully reduced.
 */
import type { FieldLayout } from './field-layout.ts';

const u32s = (xs: readonly number[]): string => xs.map((x) => `${x}u`).join(', ');

/** The WGSL source of the field for `layout`. */
export function wgslField(layout: FieldLayout): string {
  const { limbs: L, limbBits: N, mask, n0 } = layout;
  return /* wgsl */ `
alias Fp = array<u32, ${L}>;
const FP_LIMBS: u32 = ${L}u;
const FP_BITS: u32 = ${N}u;
const FP_MASK: u32 = ${mask}u;
const FP_N0: u32 = ${n0}u;
var<private> FP_P: Fp = Fp(${u32s(layout.p)});
const FP_ONE = Fp(${u32s(layout.one)});
const FP_FROM_KEY = Fp(${u32s(layout.fromKeyForm)});

/** a - b over the limbs into *out; returns the final borrow (1 when a < b). */
fn fp_sub_raw(a: Fp, b: Fp, out: ptr<function, Fp>) -> u32 {
  var x = a;
  var y = b;
  var borrow = 0u;
  for (var i = 0u; i < FP_LIMBS; i++) {
    let d = x[i] - y[i] - borrow;
    (*out)[i] = d & FP_MASK;
    borrow = d >> 31u;
  }
  return borrow;
}

/** t mod p for t < 2p. */
fn fp_reduce_once(t: Fp) -> Fp {
  var d: Fp;
  if (fp_sub_raw(t, FP_P, &d) == 1u) { return t; }
  return d;
}

fn fp_add(a: Fp, b: Fp) -> Fp {
  var x = a;
  var y = b;
  var s: Fp;
  var carry = 0u;
  for (var i = 0u; i < FP_LIMBS; i++) {
    let t = x[i] + y[i] + carry;
    s[i] = t & FP_MASK;
    carry = t >> FP_BITS;
  }
  return fp_reduce_once(s);
}

fn fp_double(a: Fp) -> Fp {
  return fp_add(a, a);
}

fn fp_sub(a: Fp, b: Fp) -> Fp {
  var d: Fp;
  if (fp_sub_raw(a, b, &d) == 0u) { return d; }
  var carry = 0u;
  for (var i = 0u; i < FP_LIMBS; i++) {
    let t = d[i] + FP_P[i] + carry;
    d[i] = t & FP_MASK;
    carry = t >> FP_BITS;
  }
  return d;
}

fn fp_neg(a: Fp) -> Fp {
  return fp_sub(Fp(), a);
}

/** a b R^-1 mod p. */
fn fp_mul(a: Fp, b: Fp) -> Fp {
  var x = a;
  var y = b;
  var t: Fp;
  for (var i = 0u; i < FP_LIMBS; i++) {
    let bi = y[i];
    let s0 = t[0] + x[0] * bi;
    var hi = s0 >> FP_BITS;
    let t0 = s0 & FP_MASK;
    let m = (t0 * FP_N0) & FP_MASK;
    var c = (t0 + m * FP_P[0]) >> FP_BITS;
    for (var j = 1u; j < FP_LIMBS; j++) {
      let s = t[j] + x[j] * bi + hi;
      hi = s >> FP_BITS;
      let u = (s & FP_MASK) + m * FP_P[j] + c;
      c = u >> FP_BITS;
      t[j - 1u] = u & FP_MASK;
    }
    t[FP_LIMBS - 1u] = c + hi;
  }
  return fp_reduce_once(t);
}

fn fp_is_zero(a: Fp) -> bool {
  var x = a;
  var acc = 0u;
  for (var i = 0u; i < FP_LIMBS; i++) { acc |= x[i]; }
  return acc == 0u;
}
`;
}
