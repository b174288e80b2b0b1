import { afterAll, describe, expect, it } from 'vitest';
import { releaseProverCurve } from '../curve.ts';
import { chooseMsmBackend, webGpuCandidate, type WebGpuCandidate } from './backend-choice.ts';
import { WebGpuUnavailableError } from './errors.ts';
import { openNodeGpuDevice } from './node-device.ts';

afterAll(releaseProverCurve);

/** Node's WebGPU (SwiftShader here: a CPU fallback adapter). */
async function nodeWebGpu(): Promise<WebGpuCandidate> {
  const { device, adapterInfo } = await openNodeGpuDevice();
  return webGpuCandidate(device, adapterInfo);
}

describe('chooseMsmBackend', () => {
  it('chooses WASM, with the reason, where WebGPU cannot be opened', async () => {
    const { choice, backend } = await chooseMsmBackend({ webgpu: () => Promise.reject(new WebGpuUnavailableError('no adapter')) });
    expect(backend.name).toBe('wasm');
    expect(choice).toMatchObject({ backend: 'wasm', reason: 'WebGPU unavailable: no adapter' });
    await expect(chooseMsmBackend({ webgpu: () => Promise.reject(new WebGpuUnavailableError('no adapter')), force: 'webgpu' })).rejects.toBeInstanceOf(WebGpuUnavailableError);
  });

  it('does not measure a CPU fallback adapter unless asked; measured, it picks the faster of the two on equal results', async () => {
    const skipped = await chooseMsmBackend({ webgpu: nodeWebGpu });
    if (!skipped.choice.reason.startsWith('WebGPU runs on the CPU')) throw new Error(`expected SwiftShader on this machine, got: ${skipped.choice.reason}`);
    expect(skipped.choice.wasmMs).toBeUndefined();

    const measured = await chooseMsmBackend({ webgpu: nodeWebGpu, measureFallback: true, points: 256 });
    const { wasmMs, webgpuMs } = measured.choice;
    expect(wasmMs).toBeGreaterThan(0);
    expect(webgpuMs).toBeGreaterThan(0);
    expect(measured.choice.backend).toBe(webgpuMs! < wasmMs! ? 'webgpu' : 'wasm');
    expect(measured.backend.name).toBe(measured.choice.backend);
    (measured.backend as Partial<WebGpuCandidate>).destroy?.();
  }, 120_000);
});
