/**
 * How a BN254 base-field element is laid out for the GPU: `limbs` little-endian limbs of `limbBits`
 * bits, one per u32, in Montgomery form with R = 2^(limbBits * limbs); and the constants the WGSL
 * Montgomery multiplication needs, computed from bigints. Also the bigint <-> limb conversions.
 */
import { BASE_FIELD_PRIME, SCALAR_ORDER } from '../../protocol/bn254.ts';

/** The BN254 base field's modulus p. */
export const BN254_P = BASE_FIELD_PRIME;
/** The BN254 scalar field's modulus r (the order of G1). */
export const BN254_R = SCALAR_ORDER;
/** The Montgomery radix of the proving key's coordinates (ffjavascript's): 2^256. */
export const KEY_MONTGOMERY_R = 1n << 256n;

/** The limb widths the WGSL field supports: a limb product plus two limbs must fit a u32. */
export const MIN_LIMB_BITS = 13;
export const MAX_LIMB_BITS = 16;

/** One limb layout of Fp and its Montgomery constants. */
export interface FieldLayout {
  readonly limbBits: number;
  readonly limbs: number;
  /** 2^limbBits - 1. */
  readonly mask: number;
  /** The Montgomery radix 2^(limbBits * limbs). */
  readonly r: bigint;
  /** R^-1 mod p. */
  readonly rInv: bigint;
  /** -p^-1 mod 2^limbBits. */
  readonly n0: number;
  /** p as limbs. */
  readonly p: readonly number[];
  /** R mod p (one in Montgomery form) as limbs. */
  readonly one: readonly number[];
  /** R^2 / 2^256 mod p as limbs: a Montgomery product with it turns the key's Montgomery form into ours. */
  readonly fromKeyForm: readonly number[];
}

/** a^-1 mod m for coprime a, m (extended Euclid). */
export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return ((s0 % m) + m) % m;
}

/**
 * The layout for `limbBits`-bit limbs (13..16): as few limbs as hold a 256-bit word (the key's
 * coordinates unpack into them), which leaves p's top limb small enough for carry-free Montgomery rounds.
 */
export function fieldLayout(limbBits = 16): FieldLayout {
  if (!Number.isInteger(limbBits) || limbBits < MIN_LIMB_BITS || limbBits > MAX_LIMB_BITS) {
    throw new RangeError(`limbBits must be an integer in ${MIN_LIMB_BITS}..${MAX_LIMB_BITS}, got ${limbBits}`);
  }
  const limbs = Math.ceil(256 / limbBits);
  const r = 1n << BigInt(limbBits * limbs);
  const w = 1n << BigInt(limbBits);
  const layout = { limbBits, limbs, mask: Number(w - 1n) };
  return {
    ...layout,
    r,
    rInv: modInverse(r, BN254_P),
    n0: Number((w - modInverse(BN254_P, w)) % w),
    p: toLimbs(BN254_P, layout),
    one: toLimbs(r % BN254_P, layout),
    fromKeyForm: toLimbs((((r * r) % BN254_P) * modInverse(KEY_MONTGOMERY_R, BN254_P)) % BN254_P, layout),
  };
}

type LimbShape = Pick<FieldLayout, 'limbBits' | 'limbs'>;

/** x (0 <= x < 2^(limbBits * limbs)) as little-endian limbs. */
export function toLimbs(x: bigint, { limbBits, limbs }: LimbShape): number[] {
  const mask = (1n << BigInt(limbBits)) - 1n;
  const out: number[] = [];
  for (let i = 0; i < limbs; i++) out.push(Number((x >> BigInt(i * limbBits)) & mask));
  if (x >> BigInt(limbs * limbBits) !== 0n || x < 0n) throw new RangeError('value does not fit the limbs');
  return out;
}

/** Little-endian limbs (any values below 2^32, carries allowed) as a bigint. */
export function fromLimbs(limbs: ArrayLike<number>, { limbBits }: Pick<FieldLayout, 'limbBits'>): bigint {
  let x = 0n;
  for (let i = limbs.length - 1; i >= 0; i--) x = (x << BigInt(limbBits)) + BigInt(limbs[i]!);
  return x;
}

/** x in Montgomery form for `layout` (x R mod p). */
export function toMontgomery(x: bigint, layout: FieldLayout): bigint {
  return (x * layout.r) % BN254_P;
}

/** A Montgomery-form value of `layout` in standard form (x R^-1 mod p). */
export function fromMontgomery(x: bigint, layout: FieldLayout): bigint {
  return (x * layout.rInv) % BN254_P;
}
