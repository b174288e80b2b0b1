/**
 * The BN254 engines the prover computes with: ffjavascript's WASM curve, the code snarkjs proves with.
 *
 * - `threadedCurve()`: snarkjs's own process-wide multi-threaded curve (`globalThis.curve_bn128`), for
 *   the FFTs and MSMs. Sharing it means one thread pool per process; `releaseProverCurve()` (or
 *   snarkjs's release) ends its threads.
 * - `plainCurve()`: a single-threaded instance for the small sequential work (combining a proof), which
 *   owns no threads and never keeps the process alive.
 *
 * ffjavascript is untyped; the interfaces below are the subset the prover uses. Field elements and
 * points are byte strings in Montgomery form; points are affine (2 coordinates) or Jacobian (3).
 */
import { buildBn128 } from 'ffjavascript';

/** One step of a thread-pool task (ffjavascript's task language). */
export type TaskStep =
  | { cmd: 'ALLOCSET'; var: number; buff: Uint8Array }
  | { cmd: 'ALLOC'; var: number; len: number }
  | { cmd: 'CALL'; fnName: string; params: ({ var: number } | { val: number })[] }
  | { cmd: 'GET'; out: number; var: number; len: number };

/** ffjavascript's thread pool: runs a task on a free thread, answering the GET steps' bytes. */
export interface ThreadManager {
  concurrency: number;
  queueAction(task: TaskStep[]): Promise<Uint8Array[]>;
}

/** The scalar field Fr (elements in Montgomery form unless said otherwise). */
export interface ScalarField {
  n8: number;
  /** 2-adicity: the largest power of two dividing r - 1. */
  s: number;
  /** The coset shift used when the domain is the largest one. */
  shift: Uint8Array;
  /** w[k]: a primitive 2^k-th root of unity. */
  w: Uint8Array[];
  one: Uint8Array;
  e(v: number | bigint | string): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  mul(a: Uint8Array, b: Uint8Array): Uint8Array;
  neg(a: Uint8Array): Uint8Array;
  random(): Uint8Array;
  ifft(buff: Uint8Array): Promise<Uint8Array>;
  fft(buff: Uint8Array): Promise<Uint8Array>;
  /** buff[i] * first * inc^i. */
  batchApplyKey(buff: Uint8Array, first: Uint8Array, inc: Uint8Array): Promise<Uint8Array>;
}

/** G1 or G2 as ffjavascript exposes it; `C` is its coordinates' object form. */
export interface CurveGroup<C> {
  zero: Uint8Array;
  F: { n8: number };
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  /** [s]a, s an Fr element in Montgomery form. */
  timesFr(a: Uint8Array, s: Uint8Array): Uint8Array;
  toAffine(a: Uint8Array): Uint8Array;
  isZero(a: Uint8Array): boolean;
  toObject(a: Uint8Array): C;
  fromObject(c: C): Uint8Array;
  /** sum_i scalars_i * bases_i: bases affine Montgomery (the zkey's layout), scalars standard little-endian. */
  multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
}

/** G1 coordinates as ffjavascript reads them: [x, y, z]. */
export type G1Object = [bigint, bigint, bigint] | [bigint, bigint];
/** G2 coordinates as ffjavascript reads them: [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]. */
export type G2Object = [[bigint, bigint], [bigint, bigint], [bigint, bigint]] | [[bigint, bigint], [bigint, bigint]];

/** The part of ffjavascript's bn128 curve that the prover uses. */
export interface Curve {
  name: string;
  Fr: ScalarField;
  G1: CurveGroup<G1Object>;
  G2: CurveGroup<G2Object>;
  tm: ThreadManager;
  terminate(): Promise<void>;
}

const shared = globalThis as { curve_bn128?: Curve | null };
let building: Promise<Curve> | undefined;
let plain: Promise<Curve> | undefined;

/** snarkjs's process-wide multi-threaded curve, built on first use (one build even when asked concurrently). */
export function threadedCurve(): Promise<Curve> {
  const ready = shared.curve_bn128;
  if (ready) return Promise.resolve(ready);
  // Library boundary: ffjavascript is untyped; `Curve` above is the subset used.
  building ??= (buildBn128() as Promise<Curve>).finally(() => {
    building = undefined;
  });
  return building;
}

/** A single-threaded curve of the prover's own (owns no threads), built on first use. */
export function plainCurve(): Promise<Curve> {
  plain ??= (buildBn128(true) as Promise<Curve>).catch((err: unknown) => {
    plain = undefined;
    throw err;
  });
  return plain;
}

/** Ends the threads of the shared multi-threaded curve, if it was built (snarkjs rebuilds it on demand). */
export async function releaseProverCurve(): Promise<void> {
  const curve = shared.curve_bn128;
  if (curve) {
    shared.curve_bn128 = null;
    await curve.terminate();
  }
}
