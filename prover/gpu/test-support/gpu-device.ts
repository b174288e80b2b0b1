/**
 * One WebGPU device per test file, opened on first use. Where WebGPU is unavailable the test fails with
 * the WebGpuUnavailableError message (nothing is skipped).
 */
/// <reference types="@webgpu/types" />
import { openNodeGpuDevice } from '../node-device.ts';

let opened: Promise<GPUDevice> | undefined;

/** The file's shared device. */
export function testDevice(): Promise<GPUDevice> {
  opened ??= openNodeGpuDevice().then(({ device }) => device);
  return opened;
}

/** Destroys the file's device if one was opened (call from afterAll). */
export async function closeTestDevice(): Promise<void> {
  if (opened) (await opened.catch(() => undefined))?.destroy();
  opened = undefined;
}
