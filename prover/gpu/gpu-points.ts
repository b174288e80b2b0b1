/** G1 points between the GPU's words (projective, Montgomery limbs of a `FieldLayout`) and noble's points. */
import { bn254 } from '@noble/curves/bn254.js';
import { fromLimbs, fromMontgomery, type FieldLayout } from './field-layout.ts';

/** noble's BN254 G1 point (homogeneous projective, like the kernels'). */
export type G1Point = InstanceType<typeof bn254.G1.Point>;

/** The projective point at `index` of a buffer of points of 3 field elements each. */
export function pointFromWords(words: Uint32Array, index: number, layout: FieldLayout): G1Point {
  const L = layout.limbs;
  const coord = (k: number) => fromMontgomery(fromLimbs(words.subarray((3 * index + k) * L, (3 * index + k + 1) * L), layout), layout);
  return new bn254.G1.Point(coord(0), coord(1), coord(2));
}
