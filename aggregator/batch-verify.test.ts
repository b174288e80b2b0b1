import { randomBytes } from 'node:crypto';
import { bn254 } from '@noble/curves/bn254.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyProof } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { checkPrepared, prepareProof, verifyBatch, verifyBatchOnce, verifySingle, type ProofItem } from './batch-verify.ts';
import { FIELD_PRIME, SCALAR_ORDER } from './bn254-engine.ts';
import { fp2, TWIST_B } from './bn254-fields.ts';
import { provedDeposits } from './test-batch.ts';
import { prepareVerificationKey, type PreparedVerificationKey } from './verification-key.ts';

const N = 16;
let items: ProofItem[];
let vk: PreparedVerificationKey;

beforeAll(async () => {
  const batch = await provedDeposits(N);
  items = batch.items;
  vk = await prepareVerificationKey(batch.vkeyJson);
  // The fixture's proofs are good by snarkjs's own verifier too.
  expect(await verifyProof(batch.vkeyJson, items[0]!.publicSignals as string[], items[0]!.proof as never)).toBe(true);
  await releaseSnarkjs();
}, 600_000); // 16 real proofs: ~1-8 s each, depending on the machine's load

/** A deep copy of the batch with `edit` applied to the copy of item `i`. */
function tampered(edits: Record<number, (item: { proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[] }; publicSignals: string[] }) => void>): ProofItem[] {
  const copy = structuredClone(items) as { proof: { pi_a: string[]; pi_b: string[][]; pi_c: string[] }; publicSignals: string[] }[];
  for (const [i, edit] of Object.entries(edits)) edit(copy[Number(i)]!);
  return copy;
}

/** A point of the twist outside G2 (cofactor not cleared), in snarkjs's pi_b form. */
function nonSubgroupG2(): string[][] {
  for (;;) {
    const x = fp2.of(BigInt(`0x${randomBytes(32).toString('hex')}`), 7n);
    const rhs = fp2.add(fp2.mul(fp2.sqr(x), x), TWIST_B);
    try {
      const y = bn254.fields.Fp2.sqrt(bn254.fields.Fp2.fromBigTuple([rhs.c0, rhs.c1]));
      const p = bn254.G2.Point.fromAffine({ x: bn254.fields.Fp2.fromBigTuple([x.c0, x.c1]), y });
      if (p.isTorsionFree()) continue;
      return [
        [String(x.c0), String(x.c1)],
        [String(y.c0), String(y.c1)],
        ['1', '0'],
      ];
    } catch {
      // x^3 + b' is not a square
    }
  }
}

describe('verifyBatch', () => {
  it('accepts a batch of 16 valid proofs with one pairing check', async () => {
    const v = await verifyBatch(vk, items);
    expect(v).toEqual({ ok: true, bad: [], checks: 1, malformed: [] });
    expect(await verifyBatchOnce(vk, items)).toBe(true);
    expect(await verifySingle(vk, items[0]!)).toBe(true);
  });

  it('names a proof whose A was replaced by another valid proof point', async () => {
    const batch = tampered({ 3: (it) => (it.proof.pi_a = [...items[7]!.proof.pi_a]) });
    expect(await verifyBatchOnce(vk, batch)).toBe(false);
    const v = await verifyBatch(vk, batch);
    expect(v.ok).toBe(false);
    expect(v.bad).toEqual([3]);
    expect(v.malformed).toEqual([]);
    expect(await verifySingle(vk, batch[3]!)).toBe(false);
  });

  it('names a proof whose A was negated', async () => {
    const batch = tampered({ 12: (it) => (it.proof.pi_a[1] = String(FIELD_PRIME - BigInt(it.proof.pi_a[1]!))) });
    expect((await verifyBatch(vk, batch)).bad).toEqual([12]);
  });

  it('names a proof with a tampered public input', async () => {
    const batch = tampered({ 9: (it) => (it.publicSignals[6] = String(BigInt(it.publicSignals[6]!) + 1n)) });
    expect((await verifyBatch(vk, batch)).bad).toEqual([9]);
  });

  it('names both proofs when their public signals are swapped', async () => {
    const batch = tampered({
      2: (it) => (it.publicSignals = [...items[11]!.publicSignals]),
      11: (it) => (it.publicSignals = [...items[2]!.publicSignals]),
    });
    const v = await verifyBatch(vk, batch);
    expect(v.bad).toEqual([2, 11]);
    expect(v.checks).toBeGreaterThan(1);
  });

  it('names every bad proof among several', async () => {
    const batch = tampered({
      0: (it) => (it.proof.pi_c = [...items[1]!.proof.pi_c]),
      8: (it) => (it.publicSignals[0] = it.publicSignals[1]!),
      15: (it) => (it.proof.pi_b = structuredClone(items[14]!.proof.pi_b) as string[][]),
    });
    expect((await verifyBatch(vk, batch)).bad).toEqual([0, 8, 15]);
  });

  it('does not let errors that cancel in an unweighted sum pass (C_i + D, C_j - D)', async () => {
    const shift = (c: string[], sign: 1n | -1n) => {
      const p = bn254.G1.Point.fromAffine({ x: BigInt(c[0]!), y: BigInt(c[1]!) });
      const d = bn254.G1.Point.BASE.multiply(12345n);
      const q = (sign === 1n ? p.add(d) : p.subtract(d)).toAffine();
      return [String(q.x), String(q.y), '1'];
    };
    const batch = tampered({ 4: (it) => (it.proof.pi_c = shift(it.proof.pi_c, 1n)), 5: (it) => (it.proof.pi_c = shift(it.proof.pi_c, -1n)) });
    const v = await verifyBatch(vk, batch);
    expect(v.bad).toEqual([4, 5]);
  });

  it('refuses, without pairing, a B on the twist but outside the prime-order subgroup', async () => {
    const batch = tampered({ 6: (it) => (it.proof.pi_b = nonSubgroupG2()) });
    const v = await verifyBatch(vk, batch);
    expect(v.bad).toEqual([6]);
    expect(v.malformed).toEqual([expect.objectContaining({ index: 6, code: 'NOT_IN_SUBGROUP' })]);
    expect(v.checks).toBe(1); // the other 15 pass together
    expect(await verifySingle(vk, batch[6]!)).toBe(false);
  });

  it('refuses malformed items: coordinate >= p, signal >= r, wrong signal count, identity', async () => {
    const batch = tampered({
      1: (it) => (it.proof.pi_a[0] = String(BigInt(it.proof.pi_a[0]!) + FIELD_PRIME)),
      5: (it) => (it.proof.pi_b[0]![1] = String(BigInt(it.proof.pi_b[0]![1]!) + FIELD_PRIME)),
      7: (it) => (it.publicSignals[3] = String(BigInt(it.publicSignals[3]!) + SCALAR_ORDER)),
      10: (it) => it.publicSignals.pop(),
      13: (it) => (it.proof.pi_c = ['0', '1', '0']),
      14: (it) => (it.proof.pi_a[1] = String((BigInt(it.proof.pi_a[1]!) + 1n) % FIELD_PRIME)),
    });
    const v = await verifyBatch(vk, batch);
    expect(v.bad).toEqual([1, 5, 7, 10, 13, 14]);
    expect(v.malformed.map((m) => [m.index, m.code])).toEqual([
      [1, 'COORDINATE_OUT_OF_RANGE'],
      [5, 'COORDINATE_OUT_OF_RANGE'],
      [7, 'SCALAR_OUT_OF_RANGE'],
      [10, 'SIGNAL_COUNT'],
      [13, 'POINT_AT_INFINITY'],
      [14, 'NOT_ON_CURVE'],
    ]);
    expect(v.checks).toBe(1);
    expect(await verifyBatchOnce(vk, batch)).toBe(false);
  });

  it('handles an empty batch and a batch where everything is bad', async () => {
    expect(await verifyBatch(vk, [])).toEqual({ ok: true, bad: [], checks: 0, malformed: [] });
    const batch = tampered({ 0: (it) => (it.publicSignals[0] = '1'), 1: (it) => (it.publicSignals[0] = '2') }).slice(0, 2);
    expect((await verifyBatch(vk, batch)).bad).toEqual([0, 1]);
  });

  it('draws fresh random weights per check (the same good set passes every time)', async () => {
    const prepared = items.slice(0, 4).map((it) => prepareProof(vk, it));
    for (let k = 0; k < 3; k++) expect(await checkPrepared(vk, prepared)).toBe(true);
  });
});
