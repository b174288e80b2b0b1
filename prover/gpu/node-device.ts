/**
 * A WebGPU device in Node through Dawn (the `webgpu` package). Where no Vulkan driver is configured
 * (neither VK_ICD_FILENAMES nor VK_DRIVER_FILES) and Debian's chromium ships SwiftShader's ICD, it
 * points the Vulkan loader at SwiftShader, a CPU implementation, so the kernels run on any machine.
 */
/// <reference types="@webgpu/types" />
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { largestBufferLimits } from './device-limits.ts';
import { WebGpuUnavailableError } from './errors.ts';

/** Debian chromium's SwiftShader Vulkan ICD. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** An open device and what its adapter says of itself. */
export interface NodeGpuDevice {
  device: GPUDevice;
  adapterInfo: GPUAdapterInfo;
}

let gpu: Promise<GPU> | undefined;

/** Dawn's GPU, loaded on first use (importing this module loads no native code). */
function nodeGpu(): Promise<GPU> {
  gpu ??= import('webgpu').then(({ create, globals }) => {
    if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    }
    // Dawn's display probing complains on stderr when there is no per-user runtime folder (headless machines).
    process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'drex-xdg-'));
    Object.assign(globalThis, globals);
    return create([]);
  });
  return gpu;
}

/** Opens a device with the adapter's largest storage-buffer limits; WebGpuUnavailableError when there is none. */
export async function openNodeGpuDevice(): Promise<NodeGpuDevice> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await (await nodeGpu()).requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    throw new WebGpuUnavailableError(`WebGPU adapter request failed: ${(err as Error).message}`, { cause: err });
  }
  if (!adapter) {
    throw new WebGpuUnavailableError(
      `no WebGPU adapter (install a Vulkan driver, or chromium and libvulkan1 for SwiftShader at ${SWIFTSHADER_ICD})`,
    );
  }
  try {
    const device = await adapter.requestDevice({ requiredLimits: largestBufferLimits(adapter) });
    return { device, adapterInfo: adapter.info };
  } catch (err) {
    throw new WebGpuUnavailableError(`WebGPU device request failed: ${(err as Error).message}`, { cause: err });
  }
}
