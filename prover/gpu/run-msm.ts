/**
 * One MSM on the GPU: uploads the bases and the bucket plan, runs convert, accumulate, bucket sums,
 * segment reduction and window sums in one submission, reads back one point per window and combines
 * them on the CPU (Horner: sum over windows of 2^(c w) W_w) with noble.
 */
/// <reference types="@webgpu/types" />
import { bn254 } from '@noble/curves/bn254.js';
import { dispatch, readBuffer, storageBuffer, uniformBuffer } from './gpu-compute.ts';
import { pointFromWords, type G1Point } from './gpu-points.ts';
import type { MsmKernels } from './msm-kernels.ts';
import type { MsmPlan } from './msm-plan.ts';

/** Buckets per reduction segment (at most; a window with fewer buckets is one segment). */
const SEGMENT_BUCKETS = 16;

/** sum of the planned signed digits times the bases (`baseWords`: the key's affine points as u32 words). */
export async function runMsm(device: GPUDevice, kernels: MsmKernels, baseWords: Uint32Array<ArrayBuffer>, plan: MsmPlan): Promise<G1Point> {
  const { layout } = kernels;
  const n = baseWords.length / 16;
  const proj = 3 * layout.limbs * 4;
  const { windows, bucketsPerWindow, entries, chunkOffsets, bucketChunks } = plan;
  const chunks = chunkOffsets.length - 1;
  const buckets = bucketChunks.length - 1;
  const segLen = Math.min(bucketsPerWindow, SEGMENT_BUCKETS);
  const segsPerWindow = bucketsPerWindow / segLen;
  const segments = windows * segsPerWindow;
  const windowSegments = Uint32Array.from({ length: windows + 1 }, (_, w) => w * segsPerWindow);

  const owned: GPUBuffer[] = [];
  const keep = <T extends GPUBuffer>(b: T): T => (owned.push(b), b);
  try {
    const raw = keep(storageBuffer(device, baseWords));
    const bases = keep(storageBuffer(device, n * 2 * layout.limbs * 4));
    const entriesBuf = keep(storageBuffer(device, entries));
    const chunkBuf = keep(storageBuffer(device, chunkOffsets));
    const partials = keep(storageBuffer(device, chunks * proj));
    const bucketChunkBuf = keep(storageBuffer(device, bucketChunks));
    const bucketSums = keep(storageBuffer(device, buckets * proj));
    const segmentSums = keep(storageBuffer(device, segments * proj));
    const windowSegmentBuf = keep(storageBuffer(device, windowSegments));
    const windowSums = keep(storageBuffer(device, windows * proj, true));
    const params = (words: number[]) => keep(uniformBuffer(device, words));

    const encoder = device.createCommandEncoder();
    dispatch(device, encoder, kernels.convertBases, [params([n]), raw, bases], n);
    dispatch(device, encoder, kernels.accumulateChunks, [params([chunks]), bases, entriesBuf, chunkBuf, partials], chunks);
    dispatch(device, encoder, kernels.sumRanges, [params([buckets]), partials, bucketChunkBuf, bucketSums], buckets);
    const reduceParams = params([segments, segLen, segsPerWindow, bucketsPerWindow, plan.windowBits - 1]);
    dispatch(device, encoder, kernels.reduceSegments, [reduceParams, bucketSums, segmentSums], segments);
    dispatch(device, encoder, kernels.sumRanges, [params([windows]), segmentSums, windowSegmentBuf, windowSums], windows);
    device.queue.submit([encoder.finish()]);

    const words = await readBuffer(device, windowSums, windows * proj);
    let total = bn254.G1.Point.ZERO;
    for (let w = windows - 1; w >= 0; w--) {
      for (let i = 0; i < plan.windowBits; i++) total = total.double();
      total = total.add(pointFromWords(words, w, layout));
    }
    return total;
  } finally {
    for (const b of owned) b.destroy();
  }
}
