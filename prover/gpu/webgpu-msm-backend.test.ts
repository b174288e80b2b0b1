// The WebGPU G1 MSM against the WASM backend (ffjavascript) on random and degenerate inputs, its named
// errors, and G2 going to the WASM backend. One device and one backend (one kernel compile) for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseProverCurve } from '../curve.ts';
import { wasmMsmBackend } from '../msm-backend.ts';
import { BN254_P, BN254_R } from './field-layout.ts';
import type { G1Point } from './gpu-points.ts';
import { closeTestDevice, testDevice } from './test-support/gpu-device.ts';
import { G1, keyBases, keyScalars, mixedTerms, randomPoints, randomScalar } from './test-support/points.ts';
import { createWebGpuMsmBackend, type WebGpuMsmBackend } from './webgpu-msm-backend.ts';

/** GPU time on a software Vulkan under load: generous. */
const SLOW = 600_000;

let gpu: WebGpuMsmBackend;
beforeAll(async () => {
  gpu = createWebGpuMsmBackend({ device: await testDevice() });
});
afterAll(async () => {
  gpu.destroy();
  await closeTestDevice();
  await releaseProverCurve();
});

/** Both backends on the same inputs; returns the GPU's result after checking it equals the WASM one's. */
async function agree(points: readonly G1Point[], scalars: readonly bigint[]) {
  const bases = keyBases(points);
  const s = keyScalars(scalars);
  const [ours, theirs] = [await gpu.g1MultiExp(bases, s), await wasmMsmBackend.g1MultiExp(bases, s)];
  expect(ours).toEqual(theirs);
  return ours;
}

describe('the WebGPU G1 MSM', () => {
  it('equals the WASM MSM for one and two points, zero scalars, the identity and P + (-P)', async () => {
    const [P, Q] = randomPoints(2) as [G1Point, G1Point];
    const s = randomScalar();
    expect(await agree([P], [s])).not.toBeNull();
    expect(await agree([P], [0n])).toBeNull();
    // ffjavascript's MSM of a single base reads x = y = 0 as a point for some scalars ({ x: 0, y: 1 }); from two non-zero terms on it agrees.
    expect(await gpu.g1MultiExp(keyBases([G1.ZERO]), keyScalars([s]))).toBeNull();
    expect(await agree([G1.ZERO, P], [s, s])).toEqual(P.multiply(s).toAffine());
    expect(await agree([P], [BN254_R - 1n])).toEqual(P.negate().toAffine());
    expect(await agree([P, Q], [s, randomScalar()])).not.toBeNull();
    expect(await agree([P, P], [s, BN254_R - s])).toBeNull();
    expect(await agree([P, P.negate()], [s, s])).toBeNull();
    expect(await agree([P, P], [s, s])).toEqual(P.multiply((2n * s) % BN254_R).toAffine());
    expect(await agree([], [])).toBeNull();
  }, SLOW);

  it('equals the WASM MSM on 1000 points with zero and r - 1 scalars, points at infinity and repeated points', async () => {
    const { points, scalars } = mixedTerms(1000);
    expect(await agree(points, scalars)).not.toBeNull();
  }, SLOW);

  it('equals the WASM MSM on 2^14 random points', async () => {
    const points = randomPoints(1 << 14);
    expect(await agree(points, points.map(() => randomScalar()))).not.toBeNull();
  }, SLOW);

  it('equals the WASM MSM when every point falls in one bucket', async () => {
    const [P] = randomPoints(1) as [G1Point];
    expect(await agree(Array(3000).fill(P), Array(3000).fill(1n))).toEqual(P.multiply(3000n).toAffine());
  }, SLOW);

  it('reduces scalars of 2^254 and more mod r, as the WASM MSM does', async () => {
    const points = randomPoints(3);
    expect(await agree(points, [(1n << 256n) - 1n, BN254_R + 5n, (1n << 254n) + 1n])).not.toBeNull();
  }, SLOW);

  it('sends G2 MSMs to the WASM backend', async () => {
    const base = new Uint8Array(128);
    expect(await gpu.g2MultiExp(base, new Uint8Array(32))).toEqual(await wasmMsmBackend.g2MultiExp(base, new Uint8Array(32)));
    expect(gpu.name).toBe('webgpu');
  });
});

describe('the WebGPU MSM refuses bad input before any GPU work', () => {
  // A backend with no device: it would only open one past validation.
  const unopened = createWebGpuMsmBackend();
  const bases = keyBases(randomPoints(2));
  const scalars = keyScalars([1n, 2n]);

  it('names bases that are not 64 bytes each, scalars that are not 32 per base, coordinates not below p', async () => {
    const invalid = { name: 'MsmInputError', code: 'MSM_BASES_INVALID' };
    await expect(unopened.g1MultiExp(bases.subarray(0, 100), scalars)).rejects.toMatchObject(invalid);
    await expect(unopened.g1MultiExp(bases, scalars.subarray(0, 33))).rejects.toMatchObject(invalid);
    const outOfField = Uint8Array.from(bases);
    outOfField.set(keyScalars([BN254_P]).subarray(0, 32), 64 + 32);
    await expect(unopened.g1MultiExp(outOfField, scalars)).rejects.toMatchObject({ ...invalid, message: 'base 1: coordinate y is not below p' });
  });

  it('fails with GpuComputeError once its device is lost (the last test: it destroys the file device)', async () => {
    const device = await testDevice();
    device.destroy();
    await device.lost;
    await expect(gpu.g1MultiExp(bases, scalars)).rejects.toMatchObject({ name: 'GpuComputeError', code: 'GPU_COMPUTE_FAILED' });
  });
});
