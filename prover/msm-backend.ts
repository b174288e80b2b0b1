/**
 * Where the multi-scalar multiplications run. A backend computes sum_i s_i * P_i over bases in the
 * proving key's layout (affine points, coordinates 32-byte little-endian in Montgomery form, 64 bytes
 * per G1 point and 128 per G2 point) and scalars as 32-byte little-endian standard-form integers, one
 * per base. The default runs ffjavascript's WASM MSMs on snarkjs's thread pool (what snarkjs proves
 * with); WebGPU kernels can implement the same interface.
 */
import { g1FromCurve, g2FromCurve, type G1Affine, type G2Affine } from './affine-points.ts';
import { threadedCurve } from './curve.ts';

/** Multi-scalar multiplication over G1 and G2 (see the module comment for the layouts). */
export interface MsmBackend {
  /** A short name for logs and benchmarks ("wasm", "webgpu"). */
  readonly name: string;
  g1MultiExp(bases: Uint8Array, scalars: Uint8Array): Promise<G1Affine>;
  g2MultiExp(bases: Uint8Array, scalars: Uint8Array): Promise<G2Affine>;
}

/**
 * A plain Uint8Array view of `b` (a Node Buffer's `slice` is a view, and a thread task would then clone
 * the Buffer's whole backing store; a Uint8Array's `slice`, which the MSM chunks with, copies).
 */
function plainView(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** ffjavascript's `multiExpAffine` on snarkjs's shared multi-threaded curve. */
export const wasmMsmBackend: MsmBackend = {
  name: 'wasm',
  async g1MultiExp(bases, scalars) {
    const { G1 } = await threadedCurve();
    return g1FromCurve(G1, await G1.multiExpAffine(plainView(bases), plainView(scalars)));
  },
  async g2MultiExp(bases, scalars) {
    const { G2 } = await threadedCurve();
    return g2FromCurve(G2, await G2.multiExpAffine(plainView(bases), plainView(scalars)));
  },
};
