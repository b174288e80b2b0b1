/**
 * Which MSM backend a worker uses: WebGPU only where it is measurably faster than WASM on this machine
 * and gives the same answer. Both run the same random G1 MSM; WebGPU's first run (kernel compilation)
 * is not counted. Any WebGPU failure chooses WASM, with the reason.
 */
import type { MsmBackend } from '../msm-backend.ts';
import { wasmMsmBackend } from '../msm-backend.ts';
import { sampleMsmTerms } from './sample-terms.ts';

/** What the measurement found. */
export interface BackendChoice {
  backend: 'wasm' | 'webgpu';
  /** G1 MSM size measured. */
  points: number;
  wasmMs: number;
  /** Absent when WebGPU could not run. */
  webgpuMs?: number;
  /** Why this backend, in words. */
  reason: string;
}

export interface ChooseBackendOptions {
  /** Opens the WebGPU backend (rejects where there is none). */
  webgpu: () => Promise<MsmBackend & { destroy(): void }>;
  /** The WASM backend (default: ffjavascript's on the curve in globalThis.curve_bn128). */
  wasm?: MsmBackend;
  /** G1 points measured (default 2^12). */
  points?: number;
  /** Force one backend (no measurement of the other). */
  force?: 'wasm' | 'webgpu';
}

const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
};

const same = (a: Awaited<ReturnType<MsmBackend['g1MultiExp']>>, b: typeof a) => (a === null ? b === null : b !== null && a.x === b.x && a.y === b.y);

/** Measures and picks; the chosen backend is returned ready (WebGPU's kernels compiled), the other released. */
export async function chooseMsmBackend(o: ChooseBackendOptions): Promise<{ choice: BackendChoice; backend: MsmBackend }> {
  const wasm = o.wasm ?? wasmMsmBackend;
  const points = o.points ?? 1 << 12;
  const { bases, scalars } = sampleMsmTerms(points);
  const w = await timed(() => wasm.g1MultiExp(bases, scalars));
  if (o.force === 'wasm') return { choice: { backend: 'wasm', points, wasmMs: w.ms, reason: 'WASM asked for' }, backend: wasm };
  let gpu: (MsmBackend & { destroy(): void }) | undefined;
  try {
    gpu = await o.webgpu();
    const first = await gpu.g1MultiExp(bases, scalars); // compiles the kernels
    const g = await timed(() => gpu!.g1MultiExp(bases, scalars));
    if (!same(first, w.value) || !same(g.value, w.value)) {
      gpu.destroy();
      return { choice: { backend: 'wasm', points, wasmMs: w.ms, webgpuMs: g.ms, reason: 'WebGPU gave a different result from WASM' }, backend: wasm };
    }
    if (o.force === 'webgpu' || g.ms < w.ms) {
      const reason = o.force === 'webgpu' ? 'WebGPU asked for' : `WebGPU ${(w.ms / g.ms).toFixed(1)}x faster`;
      return { choice: { backend: 'webgpu', points, wasmMs: w.ms, webgpuMs: g.ms, reason }, backend: gpu };
    }
    gpu.destroy();
    return { choice: { backend: 'wasm', points, wasmMs: w.ms, webgpuMs: g.ms, reason: `WASM ${(g.ms / w.ms).toFixed(1)}x faster` }, backend: wasm };
  } catch (err) {
    gpu?.destroy();
    if (o.force === 'webgpu') throw err;
    return { choice: { backend: 'wasm', points, wasmMs: w.ms, reason: `WebGPU unavailable: ${(err as Error).message}` }, backend: wasm };
  }
}
