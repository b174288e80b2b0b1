/**
 * The page script of the Chromium MSM test: `window.drexG1Msm(bases, scalars)` runs the WebGPU G1 MSM
 * on the browser's own WebGPU device, its inputs and result as the Node side sends and compares them
 * (the key's byte layouts in base64; the affine result as decimal strings, null for the identity).
 */
/// <reference types="@webgpu/types" />
/// <reference lib="dom" />
import { largestBufferLimits } from '../device-limits.ts';
import { createWebGpuMsmBackend, type WebGpuMsmBackend } from '../webgpu-msm-backend.ts';

declare global {
  interface Window {
    drexG1Msm(bases: string, scalars: string): Promise<{ x: string; y: string } | null>;
    drexAdapter(): Promise<{ vendor: string; architecture: string; device: string; description: string }>;
  }
}

let adapter: Promise<GPUAdapter> | undefined;
let backend: Promise<WebGpuMsmBackend> | undefined;

function gpuAdapter(): Promise<GPUAdapter> {
  adapter ??= navigator.gpu.requestAdapter().then((a) => {
    if (!a) throw new Error('this browser has no WebGPU adapter');
    return a;
  });
  return adapter;
}

const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

window.drexAdapter = async () => {
  const { vendor, architecture, device, description } = (await gpuAdapter()).info;
  return { vendor, architecture, device, description };
};

window.drexG1Msm = async (bases, scalars) => {
  backend ??= gpuAdapter().then(async (a) => createWebGpuMsmBackend({ device: await a.requestDevice({ requiredLimits: largestBufferLimits(a) }) }));
  const r = await (await backend).g1MultiExp(bytes(bases), bytes(scalars));
  return r && { x: r.x.toString(), y: r.y.toString() };
};
