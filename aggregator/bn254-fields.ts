/**
 * Plain-bigint BN254 field arithmetic for point validation: Fp, Fp2 = Fp[u]/(u^2 + 1), the curve
 * equations of G1 (y^2 = x^3 + 3) and of the D-type twist G2 (y^2 = x^3 + 3/(9 + u)), and the
 * untwist-Frobenius-twist endomorphism psi used by the G2 subgroup test. Cheap, independent of the
 * WASM engine, so a malformed point is refused before it reaches the engine.
 */
import { FIELD_PRIME as P } from './bn254-engine.ts';

/** An element c0 + c1*u of Fp2. */
export interface Fp2 {
  c0: bigint;
  c1: bigint;
}

const mod = (a: bigint): bigint => {
  const m = a % P;
  return m < 0n ? m + P : m;
};

function powFp(a: bigint, e: bigint): bigint {
  let result = 1n;
  let base = mod(a);
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) result = (result * base) % P;
    base = (base * base) % P;
  }
  return result;
}

export const fp2 = {
  of: (c0: bigint, c1: bigint): Fp2 => ({ c0: mod(c0), c1: mod(c1) }),
  add: (a: Fp2, b: Fp2): Fp2 => ({ c0: mod(a.c0 + b.c0), c1: mod(a.c1 + b.c1) }),
  mul: (a: Fp2, b: Fp2): Fp2 => ({ c0: mod(a.c0 * b.c0 - a.c1 * b.c1), c1: mod(a.c0 * b.c1 + a.c1 * b.c0) }),
  sqr: (a: Fp2): Fp2 => fp2.mul(a, a),
  conj: (a: Fp2): Fp2 => ({ c0: a.c0, c1: mod(-a.c1) }),
  eq: (a: Fp2, b: Fp2): boolean => a.c0 === b.c0 && a.c1 === b.c1,
  inv: (a: Fp2): Fp2 => {
    const n = powFp(mod(a.c0 * a.c0 + a.c1 * a.c1), P - 2n);
    return { c0: mod(a.c0 * n), c1: mod(-a.c1 * n) };
  },
  pow: (a: Fp2, e: bigint): Fp2 => {
    let result: Fp2 = { c0: 1n, c1: 0n };
    let base = a;
    for (let k = e; k > 0n; k >>= 1n) {
      if (k & 1n) result = fp2.mul(result, base);
      base = fp2.sqr(base);
    }
    return result;
  },
};

/** xi = 9 + u, the non-residue that defines the twist. */
const XI = fp2.of(9n, 1n);
/** b' = 3 / (9 + u): the twist's constant. */
export const TWIST_B: Fp2 = fp2.mul(fp2.of(3n, 0n), fp2.inv(XI));

/** True when (x, y) satisfies y^2 = x^3 + 3 over Fp (inputs already < p). */
export function onG1Curve(x: bigint, y: bigint): boolean {
  return (y * y) % P === (((x * x) % P) * x + 3n) % P;
}

/** True when (x, y) satisfies y^2 = x^3 + 3/(9+u) over Fp2 (inputs already reduced). */
export function onG2Curve(x: Fp2, y: Fp2): boolean {
  return fp2.eq(fp2.sqr(y), fp2.add(fp2.mul(fp2.sqr(x), x), TWIST_B));
}

let psiConstants: { cx: Fp2; cy: Fp2 } | undefined;

/**
 * psi(x, y) = (conj(x) * xi^((p-1)/3), conj(y) * xi^((p-1)/2)): untwist, p-power Frobenius, twist.
 * On the prime-order subgroup G2 it acts as multiplication by p = 6*X^2 (mod r).
 */
export function psi(x: Fp2, y: Fp2): { x: Fp2; y: Fp2 } {
  psiConstants ??= { cx: fp2.pow(XI, (P - 1n) / 3n), cy: fp2.pow(XI, (P - 1n) / 2n) };
  return { x: fp2.mul(fp2.conj(x), psiConstants.cx), y: fp2.mul(fp2.conj(y), psiConstants.cy) };
}

/** BN parameter X = 4965661367192848881 of BN254. */
export const BN_X = 4965661367192848881n;
/** 6*X^2: a point Q of the twist lies in G2 iff psi(Q) = [6*X^2]Q (El Housni, Guillevic, Piellard 2022). */
export const SIX_X_SQUARED = 6n * BN_X * BN_X;
