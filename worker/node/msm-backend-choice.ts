/**
 * Where a Node worker computes the MSMs of half jobs: its prover threads (WASM), or WebGPU through Dawn
 * when a GPU is there and measured faster than WASM on all cores (prover/gpu/backend-choice.ts). On
 * WebGPU the halves run on the main thread (the G1 MSMs on the GPU, G2 on snarkjs's threads); whole
 * proofs stay on the prover threads either way.
 */
import { chooseMsmBackend, webGpuCandidate, type BackendChoice } from '../../prover/gpu/backend-choice.ts';
import { releaseProverCurve } from '../../prover/curve.ts';
import { encodeMsmPoints } from '../../prover/msm-points.ts';
import { msmStage } from '../../prover/msm-stage.ts';
import type { MsmBackend } from '../../prover/msm-backend.ts';
import type { HalfProver } from '../runtime/half-job-runner.ts';

export type MsmBackendOption = 'auto' | 'wasm' | 'webgpu';

/** The choice, and the GPU half prover when WebGPU won. */
export interface NodeMsmBackend {
  choice: BackendChoice;
  /** Present on WebGPU: computes halves with it. */
  gpuHalfProver?: HalfProver;
  close(): void;
}

async function openWebGpu() {
  const { openNodeGpuDevice } = await import('../../prover/gpu/node-device.ts');
  const { device, adapterInfo } = await openNodeGpuDevice();
  return webGpuCandidate(device, adapterInfo);
}

/** A half prover over `backend`, on this thread; the scalars are wiped once the MSMs are done. */
function gpuHalfProver(backend: MsmBackend): HalfProver {
  return {
    async msm(_artifactHash, key, scalars) {
      try {
        const t0 = performance.now();
        const points = await msmStage(key.pk, scalars, backend);
        return { points: encodeMsmPoints(points), msmMs: performance.now() - t0 };
      } finally {
        scalars.witness.fill(0);
        scalars.quotient.fill(0);
      }
    },
  };
}

/** Chooses (`auto` measures; `wasm` skips WebGPU altogether; `webgpu` insists on it, failing without one). */
export async function chooseNodeMsmBackend(option: MsmBackendOption): Promise<NodeMsmBackend> {
  const { choice, backend } = await chooseMsmBackend({ webgpu: openWebGpu, ...(option === 'webgpu' ? { force: 'webgpu' as const } : {}) });
  // The measurement's WASM ran on snarkjs's threads in this thread: halves on WASM go to the prover threads.
  if (choice.backend === 'wasm') {
    await releaseProverCurve();
    return { choice, close: () => {} };
  }
  return { choice, gpuHalfProver: gpuHalfProver(backend), close: () => (backend as { destroy?: () => void }).destroy?.() };
}
