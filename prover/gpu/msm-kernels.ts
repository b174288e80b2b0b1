/** The MSM's four compute pipelines for one device and limb layout, compiled once. */
/// <reference types="@webgpu/types" />
import type { FieldLayout } from './field-layout.ts';
import { createKernel } from './gpu-compute.ts';
import { accumulateChunksKernel, convertBasesKernel, reduceSegmentsKernel, sumRangesKernel } from './wgsl-msm.ts';

export interface MsmKernels {
  layout: FieldLayout;
  convertBases: GPUComputePipeline;
  accumulateChunks: GPUComputePipeline;
  sumRanges: GPUComputePipeline;
  reduceSegments: GPUComputePipeline;
}

/** Compiles the kernels (in parallel where the driver allows). */
export async function compileMsmKernels(device: GPUDevice, layout: FieldLayout): Promise<MsmKernels> {
  const [convertBases, accumulateChunks, sumRanges, reduceSegments] = await Promise.all([
    createKernel(device, convertBasesKernel(layout), 'convert_bases'),
    createKernel(device, accumulateChunksKernel(layout), 'accumulate_chunks'),
    createKernel(device, sumRangesKernel(layout), 'sum_ranges'),
    createKernel(device, reduceSegmentsKernel(layout), 'reduce_segments'),
  ]);
  return { layout, convertBases, accumulateChunks, sumRanges, reduceSegments };
}
