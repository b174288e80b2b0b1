/** Runs a test kernel: u32 inputs bound after `params` (binding 0), one output buffer bound last. */
/// <reference types="@webgpu/types" />
import { createKernel, dispatch, readBuffer, storageBuffer, uniformBuffer } from '../gpu-compute.ts';

/** Dispatches `entry` of `code` over `count` threads and returns its output's first `outWords` words. */
export async function runKernel(
  device: GPUDevice,
  code: string,
  entry: string,
  count: number,
  inputs: readonly Uint32Array<ArrayBuffer>[],
  outWords: number,
): Promise<Uint32Array> {
  const kernel = await createKernel(device, code, entry);
  const out = storageBuffer(device, outWords * 4, true);
  const buffers = [uniformBuffer(device, [count]), ...inputs.map((d) => storageBuffer(device, d)), out];
  const encoder = device.createCommandEncoder();
  dispatch(device, encoder, kernel, buffers, count);
  device.queue.submit([encoder.finish()]);
  const result = await readBuffer(device, out, outWords * 4);
  for (const b of buffers) b.destroy();
  return result;
}
