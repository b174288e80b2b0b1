/**
 * snarkjs caches one multi-threaded BN254 curve per process in `globalThis.curve_bn128`, whose worker
 * threads keep Node alive. Call this before a process that has proved or verified wants to exit.
 */
export async function releaseSnarkjs(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = g.curve_bn128;
  if (curve) {
    g.curve_bn128 = null;
    await curve.terminate();
  }
}
