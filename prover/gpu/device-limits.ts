/// <reference types="@webgpu/types" />

/** The largest storage-buffer limits an adapter offers, to request with its device (the MSM's buffers are large). */
export function largestBufferLimits(adapter: GPUAdapter): Record<string, number> {
  const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
  return { maxStorageBufferBindingSize, maxBufferSize };
}
