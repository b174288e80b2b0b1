/**
 * An MSM thread of the browser worker (a module Web Worker): computes the five MSMs of half jobs on a
 * single-threaded WASM curve or on WebGPU, whichever `choose` found faster, so the page stays
 * responsive. It keeps the proving key of the last artifact set it was sent, and wipes every half's
 * scalars once its MSMs are done.
 */
/// <reference lib="webworker" />
/// <reference types="@webgpu/types" />
import { chooseMsmBackend, webGpuCandidate } from '../../../prover/gpu/backend-choice.ts';
import { largestBufferLimits } from '../../../prover/gpu/device-limits.ts';
import { WebGpuUnavailableError } from '../../../prover/gpu/errors.ts';
import { wasmMsmBackend, type MsmBackend } from '../../../prover/msm-backend.ts';
import { encodeMsmPoints } from '../../../prover/msm-points.ts';
import { msmStage } from '../../../prover/msm-stage.ts';
import { readProvingKey, type ProvingKey } from '../../../prover/proving-key.ts';
import { installSingleThreadedCurve } from '../../runtime/single-thread-curve.ts';
import { CHOOSE_ID, type FromMsmThread, type ToMsmThread } from './msm-thread-messages.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const send = (m: FromMsmThread) => scope.postMessage(m);
let backend: MsmBackend = wasmMsmBackend;
let key: { hash: string; pk: ProvingKey } | undefined;
let adapterName: string | undefined;

async function openWebGpu() {
  const gpu = scope.navigator.gpu;
  if (!gpu) throw new WebGpuUnavailableError('this browser exposes no WebGPU (navigator.gpu) to workers');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuUnavailableError('no WebGPU adapter');
  const candidate = webGpuCandidate(await adapter.requestDevice({ requiredLimits: largestBufferLimits(adapter) }), adapter.info);
  adapterName = candidate.adapter?.description;
  return candidate;
}

async function handle(m: ToMsmThread): Promise<void> {
  if (m.type === 'choose') {
    try {
      const { choice, backend: chosen } = await chooseMsmBackend({ webgpu: openWebGpu, ...(m.force ? { force: m.force } : {}), ...(m.points ? { points: m.points } : {}) });
      backend = chosen;
      send({ type: 'chosen', choice, ...(choice.backend === 'webgpu' && adapterName ? { adapter: adapterName } : {}) });
    } catch (err) {
      const e = err as Error & { code?: unknown };
      send({ type: 'failed', id: CHOOSE_ID, error: { name: e.name, message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) } });
    }
    return;
  }
  try {
    if (m.zkey) key = { hash: m.artifactHash, pk: await readProvingKey(m.zkey) };
    if (!key || key.hash !== m.artifactHash) throw Object.assign(new Error(`artifact set ${m.artifactHash} was never sent to this thread`), { code: 'PROVER_THREAD_FAILED' });
    const t0 = performance.now();
    const points = await msmStage(key.pk, { witness: m.witness, quotient: m.quotient }, backend);
    send({ type: 'done', id: m.id, result: { points: encodeMsmPoints(points), msmMs: performance.now() - t0 } });
  } catch (err) {
    const e = err as Error & { code?: unknown };
    send({ type: 'failed', id: m.id, error: { name: e.name, message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) } });
  } finally {
    m.witness.fill(0);
    m.quotient.fill(0);
  }
}

let queue = Promise.resolve();
scope.onmessage = (e: MessageEvent<ToMsmThread>) => {
  queue = queue.then(() => handle(e.data)).catch((err: unknown) => console.error('MSM thread', err));
};
await installSingleThreadedCurve();
send({ type: 'ready' });
