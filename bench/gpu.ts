// G1 MSM on WebGPU against WASM (ffjavascript on snarkjs's thread pool, all cores), in one run: the
// adapter, the kernels' compile time, one MSM per size (bases from the default circuit's proving key,
// random scalars below r), and one MSM half of a real transfer (the five MSMs of one secret share; G2
// runs on WASM on both paths). Every WebGPU result is checked against WASM's.
// `npm run bench -- gpu [--sizes 12,14,16,18] [--no-half] [--limb-bits 16]`
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { buildSample } from '../circuits/sample/sample-transfer.ts';
import { openNodeGpuDevice } from '../prover/gpu/node-device.ts';
import { createWebGpuMsmBackend } from '../prover/gpu/webgpu-msm-backend.ts';
import { msmStage, randomSeed, readProvingKey, releaseProverCurve, splitMsmScalars, wasmMsmBackend, witnessStage, type MsmBackend } from '../prover/index.ts';
import { flag, note, option, round } from './stats.ts';

const sizes = (option('--sizes') ?? '12,14,16,18').split(',').map(Number);
if (sizes.some((s) => !Number.isInteger(s) || s < 0 || s > 20)) throw new RangeError('--sizes takes powers of two from 0 to 20, e.g. 12,14,16');
const limbBits = Number(option('--limb-bits') ?? 16);

const artifacts = await ensureArtifacts({ progress: stderrProgress('bench') });
const pk = readProvingKey(readFileSync(artifacts.zkey));
// Real bases: the key's G1 queries one after another (A, B1, C, H), repeated if a size needs more.
const keyBases = Buffer.concat([pk.sections.a, pk.sections.b1, pk.sections.c, pk.sections.h]);

function basesOf(n: number): Uint8Array {
  const out = new Uint8Array(64 * n);
  for (let at = 0; at < out.length; at += keyBases.length) out.set(keyBases.subarray(0, Math.min(keyBases.length, out.length - at)), at);
  return out;
}

/** n random scalars below r (253 random bits each), 32-byte little-endian. */
function randomScalars(n: number): Uint8Array {
  const out = new Uint8Array(randomBytes(32 * n));
  for (let i = 31; i < out.length; i += 32) out[i]! &= 0x1f;
  return out;
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
}

const text = (x: unknown) => JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
const same = (a: unknown, b: unknown) => text(a) === text(b);

const { device, adapterInfo } = await openNodeGpuDevice();
const adapter = { vendor: adapterInfo.vendor, architecture: adapterInfo.architecture, device: adapterInfo.device, description: adapterInfo.description };
note(`adapter: ${JSON.stringify(adapter)}`);
const gpu = createWebGpuMsmBackend({ device, limbBits });

// Compiling the kernels happens on the first MSM; WASM's thread pool starts on its first one too.
const compile = await timed(() => gpu.g1MultiExp(basesOf(2), randomScalars(2)));
await wasmMsmBackend.g1MultiExp(basesOf(2), randomScalars(2));
note(`kernels compiled in ${Math.round(compile.ms)} ms`);

const msm: { log2: number; points: number; webgpu_ms: number; wasm_ms: number; webgpu_over_wasm: number }[] = [];
for (const log2 of sizes) {
  const n = 2 ** log2;
  const bases = basesOf(n);
  const scalars = randomScalars(n);
  const w = await timed(() => wasmMsmBackend.g1MultiExp(bases, scalars));
  const g = await timed(() => gpu.g1MultiExp(bases, scalars));
  if (!same(g.value, w.value)) throw new Error(`WebGPU and WASM disagree on 2^${log2} points`);
  msm.push({ log2, points: n, webgpu_ms: round(g.ms), wasm_ms: round(w.ms), webgpu_over_wasm: round(g.ms / w.ms, 2) });
  note(`2^${log2}: WebGPU ${Math.round(g.ms)} ms, WASM ${Math.round(w.ms)} ms`);
}

let half: { webgpu_ms: number; wasm_ms: number; webgpu_over_wasm: number; constraints: number } | null = null;
if (!flag('--no-half')) {
  const sample = await buildSample(artifacts.manifest);
  const w = await witnessStage(pk, readFileSync(artifacts.wasm), sample.proof.input);
  const [share] = splitMsmScalars(w, randomSeed());
  const run = (backend: MsmBackend) => timed(() => msmStage(pk, share, backend));
  const wasmHalf = await run(wasmMsmBackend);
  const gpuHalf = await run(gpu);
  if (!same(gpuHalf.value, wasmHalf.value)) throw new Error('WebGPU and WASM disagree on the MSM half');
  half = { webgpu_ms: round(gpuHalf.ms), wasm_ms: round(wasmHalf.ms), webgpu_over_wasm: round(gpuHalf.ms / wasmHalf.ms, 2), constraints: artifacts.manifest.constraints };
  note(`MSM half of a transfer: WebGPU ${Math.round(gpuHalf.ms)} ms, WASM ${Math.round(wasmHalf.ms)} ms`);
}

gpu.destroy();
device.destroy();
await releaseProverCurve();
process.stdout.write(
  `${JSON.stringify({ bench: 'gpu', adapter, limb_bits: limbBits, wasm_threads: availableParallelism(), compile_ms: round(compile.ms), msm, half })}\n`,
);
process.exit(0);
