/**
 * A WebGPU MSM backend for BN254 G1 (G2 stays on the WASM backend).
 *
 * Design. Field elements are `limbBits`-bit limbs (default 16 x 16 bits, 13..16 supported) in u32s,
 * in Montgomery form with R = 2^(limbBits * limbs); fp_mul is CIOS Montgomery generated as WGSL from
 * TypeScript with p's limbs as literals. Points are homogeneous projective with the complete
 * Renes-Costello-Batina formulas (a = 0), so the identity, P + P and P + (-P) need no branches.
 * The MSM is Pippenger over windows of c bits (c minimising ceil(255 / c) * (n + 2^c), 4..16): on
 * the CPU each scalar becomes signed digits in [-2^(c-1), 2^(c-1)] (a digit above 2^(c-1) carries
 * into the next window), so a window has 2^(c-1) buckets and a point enters bucket |d| negated when
 * d < 0; a counting sort lays the (point, sign) entries out by bucket (CSR), cut into short chunks.
 * On the GPU: the key's affine bases are converted into our limbs; one thread per chunk sums its
 * entries with mixed additions; one thread per bucket sums its chunks; each window's buckets are
 * split into segments, one thread per segment computing sum of d * B_d by a running sum from the
 * top plus (first d - 1) times the segment's sum; one thread per window adds its segments. The CPU
 * reads back one point per window and combines them (Horner) with noble. Bases at infinity
 * (x = y = 0) are left out of the buckets; inputs are checked before any GPU work.
 */
/// <reference types="@webgpu/types" />
import type { G1Affine } from '../affine-points.ts';
import { wasmMsmBackend, type MsmBackend } from '../msm-backend.ts';
import { GpuComputeError } from './errors.ts';
import { fieldLayout } from './field-layout.ts';
import type { G1Point } from './gpu-points.ts';
import { compileMsmKernels, type MsmKernels } from './msm-kernels.ts';
import { checkMsmInput } from './msm-input.ts';
import { planMsm } from './msm-plan.ts';
import { runMsm } from './run-msm.ts';

/** Points per GPU pass; larger MSMs run as several passes whose results add up (bounds buffer sizes). */
const MAX_POINTS_PER_PASS = 1 << 18;

export interface WebGpuMsmOptions {
  /** The device to run on (left open by `destroy`; a browser passes its own); default: one from `openNodeGpuDevice`, destroyed by `destroy`. */
  device?: GPUDevice;
  /** Limb width of the field, 13..16 (default 16). */
  limbBits?: number;
}

export interface WebGpuMsmBackend extends MsmBackend {
  readonly name: 'webgpu';
  /** Releases the device if the backend opened it. */
  destroy(): void;
}

function toG1Affine(p: G1Point): G1Affine {
  if (p.is0()) return null;
  const { x, y } = p.toAffine();
  return { x, y };
}

/** A backend computing G1 MSMs with WebGPU kernels (compiled on first use); G2 MSMs go to `wasmMsmBackend`. */
export function createWebGpuMsmBackend(opts: WebGpuMsmOptions = {}): WebGpuMsmBackend {
  const layout = fieldLayout(opts.limbBits);
  const ownsDevice = !opts.device;
  let ready: Promise<{ device: GPUDevice; kernels: MsmKernels }> | undefined;
  let lost: GPUDeviceLostInfo | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const open = async () => {
    // Node's device module is loaded only here, so a browser bundle given its device never needs it.
    const device = opts.device ?? (await (await import('./node-device.ts')).openNodeGpuDevice()).device;
    void device.lost.then((info) => {
      lost = info;
    });
    return { device, kernels: await compileMsmKernels(device, layout) };
  };

  /** One MSM at a time per device: their error scopes must not interleave. */
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  };

  async function g1(bases: Uint8Array, scalars: Uint8Array): Promise<G1Affine> {
    const input = checkMsmInput(bases, scalars);
    if (input.n === 0) return null;
    ready ??= open().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    const { device, kernels } = await ready;
    if (lost) throw new GpuComputeError(`WebGPU device lost: ${lost.message}`, { cause: lost });
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let total: G1Point | undefined;
    let failure: unknown;
    try {
      for (let at = 0; at < input.n; at += MAX_POINTS_PER_PASS) {
        const end = Math.min(input.n, at + MAX_POINTS_PER_PASS);
        const plan = planMsm(input.scalars.subarray(32 * at, 32 * end), input.infinity.subarray(at, end));
        const part = await runMsm(device, kernels, input.baseWords.subarray(16 * at, 16 * end), plan);
        total = total ? total.add(part) : part;
      }
    } catch (err) {
      failure = err;
    }
    const validation = await device.popErrorScope();
    const memory = await device.popErrorScope();
    const cause = validation ?? memory ?? (lost ? lost : failure);
    if (cause || !total) throw new GpuComputeError(`WebGPU MSM failed: ${(cause as { message?: string })?.message ?? cause}`, { cause });
    return toG1Affine(total);
  }

  return {
    name: 'webgpu',
    g1MultiExp: (bases, scalars) => serial(() => g1(bases, scalars)),
    g2MultiExp: (bases, scalars) => wasmMsmBackend.g2MultiExp(bases, scalars),
    destroy() {
      if (ownsDevice && ready) void ready.then(({ device }) => device.destroy(), () => undefined);
      ready = undefined;
    },
  };
}
