import { buildBn128 } from 'ffjavascript';

/**
 * Makes snarkjs prove on one single-threaded BN254 curve in this thread, built once.
 *
 * snarkjs asks ffjavascript for the curve on every proof: without `singleThread` it reuses
 * `globalThis.curve_bn128` (building a multi-threaded one, with its own worker threads, if none is
 * there); with `singleThread: true` it builds a fresh curve each time (~0.2 s) and never caches it.
 * Installing a single-threaded curve as the cached one before the first proof gives the best of both:
 * no helper threads, no rebuild. Call it once at the start of a prover thread.
 */
export async function installSingleThreadedCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { tm?: { singleThread?: boolean } } | null };
  if (g.curve_bn128?.tm?.singleThread) return;
  if (g.curve_bn128) throw new Error('a multi-threaded BN254 curve is already in use in this thread');
  g.curve_bn128 = await buildBn128(true);
}
