// A real Groth16 prove with the WebGPU backend: msmStage's five points equal the WASM backend's, and the
// proof combined from them verifies with snarkjs (its API and its CLI). The key is the synthetic 1000-constraint circuit's
// (the suite circuit's 2^16 MSMs take minutes on a software GPU).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineProof } from '../combine.ts';
import { releaseProverCurve } from '../curve.ts';
import { msmStage } from '../msm-stage.ts';
import { closeTestDevice, testDevice } from './test-support/gpu-device.ts';
import { syntheticProof, type SyntheticProof } from './test-support/synthetic-proof.ts';
import { createWebGpuMsmBackend, type WebGpuMsmBackend } from './webgpu-msm-backend.ts';

const snarkjsCli = fileURLToPath(new URL('../../node_modules/snarkjs/build/cli.cjs', import.meta.url));

/** `snarkjs groth16 verify` on the files it reads: true when it exits 0. */
function cliVerifies(vkey: unknown, publicSignals: string[], proof: unknown): boolean {
  const files = { vkey: join(dir, 'verification_key.json'), pub: join(dir, 'public.json'), proof: join(dir, 'proof.json') };
  writeFileSync(files.vkey, JSON.stringify(vkey));
  writeFileSync(files.pub, JSON.stringify(publicSignals));
  writeFileSync(files.proof, JSON.stringify(proof));
  try {
    execFileSync(process.execPath, [snarkjsCli, 'groth16', 'verify', files.vkey, files.pub, files.proof], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
let circuit: SyntheticProof;
let gpu: WebGpuMsmBackend;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gpu-msm-stage-'));
  circuit = await syntheticProof(dir, 1000, 3);
  gpu = createWebGpuMsmBackend({ device: await testDevice() });
}, 600_000);
afterAll(async () => {
  gpu.destroy();
  await closeTestDevice();
  await releaseProverCurve();
  rmSync(dir, { recursive: true, force: true });
});

describe('msmStage on WebGPU', () => {
  it("gives the WASM backend's points, and a proof from them that snarkjs verifies", async () => {
    const { pk, vkey, scalars } = circuit;
    const points = await msmStage(pk, scalars, gpu);
    expect(points).toEqual(await msmStage(pk, scalars));
    const { proof, publicSignals } = await combineProof(pk, points, scalars.publicSignals);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    const wrongSignals = [String(BigInt(publicSignals[0]!) + 1n), ...publicSignals.slice(1)];
    expect(await snarkjs.groth16.verify(vkey, wrongSignals, proof)).toBe(false);
    expect(cliVerifies(vkey, publicSignals, proof)).toBe(true);
    expect(cliVerifies(vkey, wrongSignals, proof)).toBe(false);
  }, 600_000);
});
