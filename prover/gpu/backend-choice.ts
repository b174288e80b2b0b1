/**
 * Which MSM backend a worker uses: WebGPU only where it is measurably faster than WASM on this machine
 * and gives the same answer. Both run the same random G1 MSM; WebGPU's first run (kernel compilation)
 * is not counted. Any WebGPU failure chooses WASM, with the reason; so does a CPU fallback adapter
 * (SwiftShader), unless asked to measure it.
 */
import type { MsmBackend } from '../msm-backend.ts';
import { wasmMsmBackend } from '../msm-backend.ts';
/// <reference types="@webgpu/types" />
import { GpuComputeError } from './errors.ts';
import { createWebGpuMsmBackend } from './webgpu-msm-backend.ts';
import { sampleMsmTerms } from './sample-terms.ts';

/** What the measurement found. */
export interface BackendChoice {
  backend: 'wasm' | 'webgpu';
  /** G1 MSM size measured. */
  points: number;
  /** Both absent when nothing was measured (WebGPU unavailable, on the CPU, or a backend forced). */
  wasmMs?: number;
  webgpuMs?: number;
  /** Why this backend, in words. */
  reason: string;
}

/** A WebGPU backend as the chooser needs it: releasable, and saying what its adapter is. */
export type WebGpuCandidate = MsmBackend & { destroy(): void; adapter?: { description?: string; isFallbackAdapter?: boolean } };

/** The WebGPU backend on `device` as a candidate, with what its adapter says of itself. */
export function webGpuCandidate(device: GPUDevice, info: GPUAdapterInfo): WebGpuCandidate {
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return { ...createWebGpuMsmBackend({ device }), destroy: () => device.destroy(), adapter: { description, ...(fallback === undefined ? {} : { isFallbackAdapter: fallback }) } };
}

export interface ChooseBackendOptions {
  /** Opens the WebGPU backend (rejects where there is none). */
  webgpu: () => Promise<WebGpuCandidate>;
  /** Measure WebGPU even on a CPU fallback adapter (SwiftShader), which is never faster (default false). */
  measureFallback?: boolean;
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

/** Opens WebGPU, measures both where it is worth it and picks; the chosen backend is returned ready (WebGPU's kernels compiled), the other released. */
export async function chooseMsmBackend(o: ChooseBackendOptions): Promise<{ choice: BackendChoice; backend: MsmBackend }> {
  const wasm = o.wasm ?? wasmMsmBackend;
  const points = o.points ?? 1 << 12;
  const wasmOnly = (reason: string, ms: { wasmMs?: number; webgpuMs?: number } = {}) => ({ choice: { backend: 'wasm' as const, points, ...ms, reason }, backend: wasm });
  if (o.force === 'wasm') return wasmOnly('WASM asked for');
  let gpu: WebGpuCandidate;
  try {
    gpu = await o.webgpu();
  } catch (err) {
    if (o.force === 'webgpu') throw err;
    return wasmOnly(`WebGPU unavailable: ${(err as Error).message}`);
  }
  if (gpu.adapter?.isFallbackAdapter && !o.measureFallback && o.force !== 'webgpu') {
    gpu.destroy();
    return wasmOnly(`WebGPU runs on the CPU here (${gpu.adapter.description || 'a fallback adapter'}): not measured`);
  }
  try {
    const { bases, scalars } = sampleMsmTerms(points);
    const w = await timed(() => wasm.g1MultiExp(bases, scalars));
    const first = await gpu.g1MultiExp(bases, scalars); // compiles the kernels
    const g = await timed(() => gpu.g1MultiExp(bases, scalars));
    const ms = { wasmMs: w.ms, webgpuMs: g.ms };
    if (!same(first, w.value) || !same(g.value, w.value)) {
      if (o.force === 'webgpu') throw new GpuComputeError('WebGPU gave a different G1 MSM from WASM');
      gpu.destroy();
      return wasmOnly('WebGPU gave a different result from WASM', ms);
    }
    if (o.force === 'webgpu' || g.ms < w.ms) {
      const reason = o.force === 'webgpu' ? 'WebGPU asked for' : `WebGPU ${(w.ms / g.ms).toFixed(1)}x faster`;
      return { choice: { backend: 'webgpu', points, ...ms, reason }, backend: gpu };
    }
    gpu.destroy();
    return wasmOnly(`WASM ${(g.ms / w.ms).toFixed(1)}x faster`, ms);
  } catch (err) {
    gpu.destroy();
    if (o.force === 'webgpu') throw err;
    return wasmOnly(`WebGPU failed: ${(err as Error).message}`);
  }
}
