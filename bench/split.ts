// Split proving against a plain prove, per proof of the default circuit (one transfer at k = 1), in one
// warm process: the trusted stage (witness, quotient, sharing both vectors, sealing both halves with HPKE
// as the witness generator does), one half's five MSMs, combining two halves, the staged prover in one
// process, and snarkjs's own prover on the same input. The staged and snarkjs runs are interleaved (their order alternating) so that machine noise hits
// both alike. Medians in ms; ratios are medians of per-proof ratios.
// `npm run bench -- split [--n 5]`
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { planBatches } from '../circuits/model/plan-batches.ts';
import { fundedLedger } from '../circuits/model/test-fixtures.ts';
import { transferCycle } from '../ledger-bridge/test-support/transfer-cycle.ts';
import { halfJobId } from '../protocol/messages/half.ts';
import {
  addMsmPoints,
  calculateWtns,
  combineProof,
  decodeMsmPoints,
  encodeMsmPoints,
  msmStage,
  proveStaged,
  randomSeed,
  readProvingKey,
  releaseProverCurve,
  splitMsmScalars,
  witnessStage,
  type MsmScalars,
} from '../prover/index.ts';
import { decodeHalfScalars, encodeHalfScalars } from '../prover/share-codec.ts';
import { threadedCurve } from '../prover/curve.ts';
import { decodeSealed, encodeSealed, openSealed, sealTo } from '../swarm/sealing/hpke-seal.ts';
import { generateSealKeyPair } from '../swarm/sealing/seal-keys.ts';
import { median, note, option, peakRssMb, round } from './stats.ts';

const N = Math.max(1, Number(option('--n') ?? 5));

const artifacts = await ensureArtifacts({ progress: stderrProgress('bench') });
const wasm = readFileSync(artifacts.wasm);
const zkey = readFileSync(artifacts.zkey);
const vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as unknown;
const pk = readProvingKey(zkey);
const { k, depth, nullDepth } = artifacts.manifest;
const f = await fundedLedger({ k, depth, nullDepth });
const plan = planBatches(f.crypto, f.ledger, f.params, transferCycle(f, N * k));
const inputs = plan.proofs.map((p) => p.input as Record<string, unknown>);
// The witness generator seals both halves to the job gateway's key, each bound to its half job's id.
const gateway = await generateSealKeyPair();
const aad = (i: number, h: 0 | 1) => new TextEncoder().encode(halfJobId(`bench-${i}`, h));

async function check(what: string, publicSignals: string[], proof: unknown): Promise<void> {
  if (!(await snarkjs.groth16.verify(vkey, publicSignals, proof as snarkjs.Groth16Proof))) throw new Error(`${what}: the proof does not verify`);
}

note('warm-up: one staged prove, one snarkjs prove');
const warm = await proveStaged(pk, wasm, inputs[0]!);
await check('warm-up staged', warm.publicSignals, warm.proof);
await snarkjs.groth16.fullProve(inputs[0]!, wasm, zkey);

const m = {
  witness: [] as number[],
  quotient: [] as number[],
  share: [] as number[],
  seal: [] as number[],
  trusted: [] as number[],
  half: [] as number[],
  halfOpen: [] as number[],
  decode: [] as number[],
  combine: [] as number[],
  splitLatency: [] as number[],
  staged: [] as number[],
  snarkjsWitness: [] as number[],
  snarkjsProve: [] as number[],
  snarkjsFull: [] as number[],
  halfBytes: [] as number[],
  trustedOverPlain: [] as number[],
  halfOverPlain: [] as number[],
  splitOverPlain: [] as number[],
  stagedOverSnarkjs: [] as number[],
};

/** The staged prover in one process (witness included). */
async function runStaged(input: Record<string, unknown>): Promise<number> {
  const t = performance.now();
  const r = await proveStaged(pk, wasm, input);
  const ms = performance.now() - t;
  await check('staged', r.publicSignals, r.proof);
  return ms;
}

/** snarkjs: fullProve, and prove on a witness computed apart (witness excluded). */
async function runSnarkjs(input: Record<string, unknown>): Promise<{ full: number; witness: number; prove: number }> {
  let t = performance.now();
  const full = await snarkjs.groth16.fullProve(input, wasm, zkey);
  const fullMs = performance.now() - t;
  await check('snarkjs fullProve', full.publicSignals, full.proof);
  t = performance.now();
  const wtns = await calculateWtns(wasm, input);
  const witnessMs = performance.now() - t;
  t = performance.now();
  await snarkjs.groth16.prove(zkey, wtns);
  return { full: fullMs, witness: witnessMs, prove: performance.now() - t };
}

for (let i = 0; i < N; i++) {
  const input = inputs[i]!;

  // Trusted stage: witness + quotient, two shares, each sealed (HPKE) as the witness generator seals it.
  const t0 = performance.now();
  const w = await witnessStage(pk, wasm, input);
  const t1 = performance.now();
  const halves = splitMsmScalars(w, randomSeed());
  const t2 = performance.now();
  const boxes: Uint8Array[] = [];
  for (const h of [0, 1] as const) boxes.push(encodeSealed(await sealTo(gateway.publicKeyHex, encodeHalfScalars(halves[h]), aad(i, h))));
  const t3 = performance.now();

  // Each half: open its box (the worker's side), then its five MSMs.
  const points = [];
  const halfMs: number[] = [];
  for (const h of [0, 1] as const) {
    const o = performance.now();
    const opened: MsmScalars = decodeHalfScalars(await openSealed(gateway, decodeSealed(boxes[h]!), aad(i, h)), pk);
    const s = performance.now();
    const p = await msmStage(pk, opened);
    halfMs.push(performance.now() - s);
    m.halfOpen.push(s - o);
    points.push(JSON.parse(JSON.stringify(encodeMsmPoints(p))) as unknown);
  }

  // Combine: validate both halves' points as they arrive, add them, complete and convert the proof.
  const c0 = performance.now();
  const decoded = points.map((p) => decodeMsmPoints(p));
  const c1 = performance.now();
  const proof = await combineProof(pk, addMsmPoints(decoded[0]!, decoded[1]!), w.publicSignals);
  const c2 = performance.now();
  await check('split', proof.publicSignals, proof.proof);

  // The plain provers, interleaved, their order alternating.
  let staged: number;
  let plain: { full: number; witness: number; prove: number };
  if (i % 2 === 0) {
    staged = await runStaged(input);
    plain = await runSnarkjs(input);
  } else {
    plain = await runSnarkjs(input);
    staged = await runStaged(input);
  }

  const trusted = t3 - t0;
  const combine = c2 - c0;
  const splitLatency = trusted + Math.max(...halfMs) + combine;
  m.witness.push(w.timings.witnessMs);
  m.quotient.push(w.timings.quotientMs);
  m.share.push(t2 - t1);
  m.seal.push(t3 - t2);
  m.trusted.push(trusted);
  m.half.push(...halfMs);
  m.decode.push(c1 - c0);
  m.combine.push(combine);
  m.splitLatency.push(splitLatency);
  m.staged.push(staged);
  m.snarkjsWitness.push(plain.witness);
  m.snarkjsProve.push(plain.prove);
  m.snarkjsFull.push(plain.full);
  m.halfBytes.push(boxes[0]!.byteLength);
  m.trustedOverPlain.push(trusted / plain.full);
  m.halfOverPlain.push(Math.max(...halfMs) / plain.full);
  m.splitOverPlain.push(splitLatency / plain.full);
  m.stagedOverSnarkjs.push(staged / plain.full);
  note(
    `proof ${i + 1}/${N}: trusted ${round(trusted)} ms (witness ${round(w.timings.witnessMs)}, quotient ${round(w.timings.quotientMs)}, ` +
      `share ${round(t2 - t1)}, seal ${round(t3 - t2)}), halves ${halfMs.map((x) => round(x)).join(' / ')} ms, combine ${round(combine)} ms; ` +
      `staged ${round(staged)} ms, snarkjs fullProve ${round(plain.full)} ms (prove ${round(plain.prove)})`,
  );
}
const threads = (await threadedCurve()).tm.concurrency;
await releaseProverCurve();

const med = (xs: number[], digits = 1) => round(median(xs), digits);
console.log(
  JSON.stringify({
    bench: 'split',
    proofs: N,
    transfers: N * k,
    constraints: artifacts.manifest.constraints,
    power: artifacts.manifest.power,
    n_vars: pk.nVars,
    domain_size: pk.domainSize,
    threads,
    msm_backend: 'wasm',
    sealing: 'hpke-x25519-hkdf-sha256-aes-256-gcm',
    witness_ms: med(m.witness),
    quotient_ms: med(m.quotient),
    share_ms: med(m.share),
    seal_ms: med(m.seal),
    trusted_ms: med(m.trusted),
    half_ms: med(m.half),
    half_open_ms: med(m.halfOpen),
    decode_ms: med(m.decode),
    combine_ms: med(m.combine),
    split_latency_ms: med(m.splitLatency),
    staged_prove_ms: med(m.staged),
    snarkjs_witness_ms: med(m.snarkjsWitness),
    snarkjs_prove_ms: med(m.snarkjsProve),
    snarkjs_fullprove_ms: med(m.snarkjsFull),
    half_job_bytes: median(m.halfBytes),
    trusted_over_plain: med(m.trustedOverPlain, 3),
    half_over_plain: med(m.halfOverPlain, 3),
    split_latency_over_plain: med(m.splitOverPlain, 3),
    staged_over_snarkjs: med(m.stagedOverSnarkjs, 3),
    peak_rss_mb: peakRssMb(),
  }),
);
