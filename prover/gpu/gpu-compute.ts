/**
 * The few WebGPU calls the kernels need: compiling a compute pipeline, storage and uniform buffers,
 * a dispatch over any number of threads (2-D when one dimension would pass the workgroup-count limit),
 * and reading a buffer back.
 */
/// <reference types="@webgpu/types" />

/** The WebGPU spec's buffer usage and map mode flags (its globals exist only once Dawn is loaded in Node). */
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_READ_MODE = 0x1;

/** Threads per workgroup of every kernel. */
export const WORKGROUP_SIZE = 64;

/**
 * The WGSL prologue of a kernel over `count` threads: its entry point computes `tid` from a 2-D grid
 * and returns past `count`, which the kernel reads from `params.count`.
 */
export function wgslEntry(name: string, body: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${WORKGROUP_SIZE})
fn ${name}(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tid = gid.x + gid.y * nwg.x * ${WORKGROUP_SIZE}u;
  if (tid >= params.count) { return; }
${body}
}
`;
}

/** A compute pipeline for `entryPoint` in `code` (bind group layout derived from the shader). */
export function createKernel(device: GPUDevice, code: string, entryPoint: string): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code });
  return device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } });
}

/** A storage buffer holding `data` (or `byteLength` zero bytes), readable back when `copySrc`. */
export function storageBuffer(device: GPUDevice, data: Uint32Array<ArrayBuffer> | number, copySrc = false): GPUBuffer {
  const size = Math.max(16, typeof data === 'number' ? data : data.byteLength);
  const usage = USAGE.STORAGE | USAGE.COPY_DST | (copySrc ? USAGE.COPY_SRC : 0);
  const buffer = device.createBuffer({ size: Math.ceil(size / 4) * 4, usage });
  if (typeof data !== 'number' && data.byteLength > 0) device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** A uniform buffer of u32 words (the kernel's `params`). */
export function uniformBuffer(device: GPUDevice, words: readonly number[]): GPUBuffer {
  const data = new Uint32Array(Math.ceil(Math.max(words.length, 4) / 4) * 4);
  data.set(words);
  const buffer = device.createBuffer({ size: data.byteLength, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Records one dispatch of `kernel` over `threads` threads with `buffers` bound at 0, 1, 2, ... of group 0. */
export function dispatch(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  kernel: GPUComputePipeline,
  buffers: readonly GPUBuffer[],
  threads: number,
): void {
  if (threads === 0) return;
  const groups = Math.ceil(threads / WORKGROUP_SIZE);
  const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
  const bindGroup = device.createBindGroup({
    layout: kernel.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const pass = encoder.beginComputePass();
  pass.setPipeline(kernel);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, Math.ceil(groups / x));
  pass.end();
}

/** The first `byteLength` bytes of `buffer` (a COPY_SRC buffer) as u32 words, after the queue's work. */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, byteLength: number): Promise<Uint32Array> {
  const staging = device.createBuffer({ size: byteLength, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, byteLength);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_READ_MODE);
    return new Uint32Array(staging.getMappedRange().slice(0));
  } finally {
    staging.destroy();
  }
}
