// The staged prover against snarkjs: its quotient is snarkjs's, and its proofs (one process, or split into
// two shares proved apart and combined) verify with the snarkjs CLI; a proof from a tampered half does not.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts, type Artifacts } from '../circuits/ceremony/setup.ts';
import { buildSample, type Sample } from '../circuits/sample/sample-transfer.ts';
import { threadedCurve } from './curve.ts';
import { computeQuotient } from './quotient.ts';
import {
  addMsmPoints,
  combineProof,
  decodeMsmPoints,
  encodeMsmPoints,
  msmStage,
  proveStaged,
  randomSeed,
  readProvingKey,
  splitMsmScalars,
  witnessStage,
  ProvingKeyError,
  type ProofWithSignals,
  type ProvingKey,
  type WitnessStageResult,
} from './index.ts';

const run = promisify(execFile);
// snarkjs's package exports hide package.json; its main entry sits in build/ beside the CLI.
const snarkjsCli = join(dirname(createRequire(import.meta.url).resolve('snarkjs')), 'cli.cjs');

let artifacts: Artifacts;
let sample: Sample;
let wasm: Uint8Array;
let zkey: Uint8Array;
let pk: ProvingKey;
let w: WitnessStageResult;
let dir: string;

beforeAll(async () => {
  artifacts = await ensureArtifacts();
  sample = await buildSample();
  wasm = readFileSync(artifacts.wasm);
  zkey = readFileSync(artifacts.zkey);
  pk = readProvingKey(zkey);
  w = await witnessStage(pk, wasm, sample.proof.input);
  dir = mkdtempSync(join(tmpdir(), 'staged-prover-'));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Verifies with the snarkjs CLI: its exit code and output. */
async function cliVerify(name: string, p: ProofWithSignals): Promise<{ code: number; out: string }> {
  const proof = join(dir, `${name}-proof.json`);
  const pub = join(dir, `${name}-public.json`);
  writeFileSync(proof, JSON.stringify(p.proof));
  writeFileSync(pub, JSON.stringify(p.publicSignals));
  try {
    const { stdout, stderr } = await run(process.execPath, [snarkjsCli, 'groth16', 'verify', artifacts.vkey, pub, proof]);
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('readProvingKey', () => {
  it('reads the sizes of the transfer circuit key', () => {
    expect(pk.nPublic).toBe(artifacts.manifest.publicInputs);
    expect(pk.power).toBe(artifacts.manifest.power);
    expect(pk.domainSize).toBe(2 ** artifacts.manifest.power);
    expect(pk.sections.a.byteLength).toBe(pk.nVars * 64);
    expect(w.witness.byteLength).toBe(pk.nVars * 32);
    expect(w.quotient.byteLength).toBe(pk.domainSize * 32);
  });

  it('refuses what is not a whole Groth16 BN254 key', () => {
    expect(() => readProvingKey(zkey.subarray(0, 5000))).toThrow(ProvingKeyError);
    expect(() => readProvingKey(wasm)).toThrow(ProvingKeyError);
    const otherField = Uint8Array.from(zkey);
    // The header section is the second: after the 12-byte file head, section 1 (12 + 4 bytes) and its own 12-byte head.
    otherField[12 + 16 + 12 + 4]! ^= 1;
    expect(() => readProvingKey(otherField)).toThrow(/base field is not BN254/);
  });
});

describe('the staged prover', () => {
  it('reports inputs the circuit refuses as a WitnessError', async () => {
    await expect(witnessStage(pk, wasm, { ...sample.proof.input, amount: ['101'] })).rejects.toMatchObject({ name: 'WitnessError', code: 'WITNESS_FAILED' });
  });

  it("computes snarkjs's quotient: buildABC1, ifft / odd coset / fft, joinABC", async () => {
    const curve = await threadedCurve();
    const Fr = curve.Fr;
    // snarkjs 0.7.6's buildABC1, step for step.
    const coeffs = pk.sections.coefficients;
    const view = new DataView(coeffs.buffer, coeffs.byteOffset, coeffs.byteLength);
    const size = pk.domainSize * 32;
    const out = [new Uint8Array(size), new Uint8Array(size), new Uint8Array(size)] as const;
    for (let i = 0, n = view.getUint32(0, true); i < n; i++) {
      const p = 4 + i * 44;
      const m = view.getUint32(p, true);
      const c = view.getUint32(p + 4, true) * 32;
      const s = view.getUint32(p + 8, true) * 32;
      out[m]!.set(Fr.add(out[m]!.slice(c, c + 32), Fr.mul(coeffs.slice(p + 12, p + 44), w.witness.slice(s, s + 32))), c);
    }
    for (let i = 0; i < size; i += 32) out[2].set(Fr.mul(out[0].slice(i, i + 32), out[1].slice(i, i + 32)), i);
    const inc = Fr.w[pk.power + 1]!;
    const odd: Uint8Array[] = [];
    for (const e of out) odd.push(await Fr.fft(await Fr.batchApplyKey(await Fr.ifft(e), Fr.e(1), inc)));
    const joined = await curve.tm.queueAction([
      { cmd: 'ALLOCSET', var: 0, buff: odd[0]! },
      { cmd: 'ALLOCSET', var: 1, buff: odd[1]! },
      { cmd: 'ALLOCSET', var: 2, buff: odd[2]! },
      { cmd: 'ALLOC', var: 3, len: size },
      { cmd: 'CALL', fnName: 'qap_joinABC', params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: pk.domainSize }, { var: 3 }] },
      { cmd: 'CALL', fnName: 'frm_batchFromMontgomery', params: [{ var: 3 }, { val: pk.domainSize }, { var: 3 }] },
      { cmd: 'GET', out: 0, var: 3, len: size },
    ]);
    expect(Buffer.from(joined[0]!).equals(Buffer.from(w.quotient))).toBe(true);
    expect(Buffer.from(await computeQuotient(curve, pk, w.witness)).equals(Buffer.from(w.quotient))).toBe(true);
  });

  it('proves in one process, and the snarkjs CLI accepts the proof', async () => {
    const r = await proveStaged(pk, wasm, sample.proof.input);
    expect(r.publicSignals).toEqual(w.publicSignals);
    expect(r.proof).toMatchObject({ protocol: 'groth16', curve: 'bn128' });
    expect(r.timings.totalMs).toBeGreaterThan(0);
    const v = await cliVerify('whole', r);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/OK/);
  });

  it('proves split into two shares, MSMs apart, combined; a tampered half gives a proof that fails', async () => {
    const [s0, s1] = splitMsmScalars(w, randomSeed());
    expect(Buffer.from(s0.witness).equals(Buffer.from(w.witness))).toBe(false);
    // Each half travels encoded, as it would from a worker.
    const half0 = decodeMsmPoints(JSON.parse(JSON.stringify(encodeMsmPoints(await msmStage(pk, s0)))));
    const half1 = decodeMsmPoints(JSON.parse(JSON.stringify(encodeMsmPoints(await msmStage(pk, s1)))));

    const good = await combineProof(pk, addMsmPoints(half0, half1), w.publicSignals);
    const ok = await cliVerify('split', good);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/OK/);

    const tampered = await combineProof(pk, addMsmPoints({ ...half0, A: half1.A }, half1), w.publicSignals);
    const bad = await cliVerify('tampered', tampered);
    expect(bad.code, bad.out).not.toBe(0);
    expect(bad.out).toMatch(/Invalid proof/);
  });
});
