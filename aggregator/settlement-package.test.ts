import { beforeAll, describe, expect, it } from 'vitest';
import { publicSignalsOf, type TransferPublic } from '../circuits/model/transfer-witness.ts';
import { toSolidityProof } from '../protocol/groth16-encoding.ts';
import { aggregationRoot } from './aggregation-tree.ts';
import { verifyBatch, type ProofItem } from './batch-verify.ts';
import { parseSettlementPackage, serializeSettlementPackage, settlementPackageToJson } from './settlement-package-json.ts';
import { buildSettlementPackage, SettlementPackageError, type SettlementPackageErrorCode } from './settlement-package.ts';
import { provedDeposits, type ProvedBatch } from './test-batch.ts';
import { TRANSFER_PUBLIC_INPUTS as IX } from '../protocol/transfer-public-inputs.ts';
import { prepareVerificationKey } from './verification-key.ts';

const BATCH_ID = `0x${'ab'.repeat(32)}`;
let batch: ProvedBatch;

beforeAll(async () => {
  batch = await provedDeposits(3);
  expect((await verifyBatch(await prepareVerificationKey(batch.vkeyJson), batch.items)).ok).toBe(true);
}, 300_000);

function refusal(fn: () => unknown): SettlementPackageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SettlementPackageError) return err;
    throw err;
  }
  throw new Error('expected a SettlementPackageError');
}

function expectRefused(fn: () => unknown, code: SettlementPackageErrorCode, transferIndex?: number): void {
  const err = refusal(fn);
  expect(err.code).toBe(code);
  expect(err.transferIndex).toBe(transferIndex);
}

/** A copy of item `i` with its public signal `k` set to `value`. */
const withSignal = (item: ProofItem, k: number, value: bigint): ProofItem => ({
  proof: item.proof,
  publicSignals: item.publicSignals.map((s, j) => (j === k ? String(value) : s)),
});

describe('buildSettlementPackage', () => {
  it('reads the public inputs in the circuit order', () => {
    const pub: TransferPublic = {
      rootBefore: 1n, rootAfter: 2n, nullifiers: [3n, 4n], commitments: [5n, 6n],
      valueIn: 7n, valueOut: 8n, limit: 9n, minter: 10n, intentNullifier: 11n,
    };
    const s = publicSignalsOf(pub).map(BigInt);
    expect(s).toHaveLength(IX.count);
    expect([s[IX.rootBefore], s[IX.rootAfter], s[IX.valueIn], s[IX.valueOut], s[IX.limit], s[IX.minter], s[IX.intentNullifier]]).toEqual([1n, 2n, 7n, 8n, 9n, 10n, 11n]);
    expect(IX.nullifiers.map((k) => s[k])).toEqual([3n, 4n]);
    expect(IX.commitments.map((k) => s[k])).toEqual([5n, 6n]);
  });

  it('packages a verified batch: root chain ends, nullifiers, commitments, intents, proofs, aggregation root', () => {
    const pkg = buildSettlementPackage({ batchId: BATCH_ID.toUpperCase().replace('0X', '0x'), items: batch.items, expectedRoots: batch.roots });
    expect(pkg.version).toBe(1);
    expect(pkg.batchId).toBe(BATCH_ID);
    expect(pkg.rootBefore).toBe(batch.roots[0]);
    expect(pkg.rootAfter).toBe(batch.roots[3]);
    expect(pkg.nullifiers).toEqual(batch.publics.flatMap((p) => p.nullifiers));
    expect(pkg.commitments).toEqual(batch.publics.flatMap((p) => p.commitments));
    expect(pkg.intentNullifiers).toEqual(batch.publics.map((p) => p.intentNullifier));
    expect(pkg.proofs).toEqual(batch.items.map((i) => toSolidityProof(i.proof)));
    expect(pkg.publicInputs).toEqual(batch.items.map((i) => i.publicSignals.map(BigInt)));
    expect(pkg.aggregationRoot).toBe(aggregationRoot(batch.items));
  });

  it('refuses a broken root chain: reordered, a gap, or not the planned roots', () => {
    const [a, b, c] = batch.items as [ProofItem, ProofItem, ProofItem];
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [b, a, c] }), 'ROOT_CHAIN_BROKEN', 1);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, c] }), 'ROOT_CHAIN_BROKEN', 1);
    const planned = [...batch.roots];
    planned[2] = planned[2]! + 1n;
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: batch.items, expectedRoots: planned }), 'ROOT_CHAIN_BROKEN', 1);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [b, c], expectedRoots: batch.roots.slice(0, 3) }), 'ROOT_CHAIN_BROKEN', 0);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: batch.items, expectedRoots: batch.roots.slice(1) }), 'ROOT_CHAIN_BROKEN');
    expect(buildSettlementPackage({ batchId: BATCH_ID, items: [b, c], expectedRoots: batch.roots.slice(1) }).rootBefore).toBe(batch.roots[1]);
  });

  it('refuses a nullifier or an intent nullifier that repeats within the batch', () => {
    const [a, b, c] = batch.items as [ProofItem, ProofItem, ProofItem];
    const nfA = BigInt(a.publicSignals[IX.nullifiers[1]]!);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, b, withSignal(c, IX.nullifiers[0], nfA)] }), 'DUPLICATE_NULLIFIER', 2);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [withSignal(a, IX.nullifiers[1], BigInt(a.publicSignals[IX.nullifiers[0]]!)), b] }), 'DUPLICATE_NULLIFIER', 0);
    const inA = BigInt(a.publicSignals[IX.intentNullifier]!);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, withSignal(b, IX.intentNullifier, inA), c] }), 'DUPLICATE_INTENT', 1);
  });

  it('refuses an empty batch, a bad batch id and a malformed item', () => {
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [] }), 'EMPTY_BATCH');
    expectRefused(() => buildSettlementPackage({ batchId: '0x1234', items: batch.items }), 'BAD_BATCH_ID');
    const short = { proof: batch.items[0]!.proof, publicSignals: batch.items[0]!.publicSignals.slice(1) };
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [short] }), 'MALFORMED_ITEM', 0);
  });
});

describe('settlement package JSON', () => {
  it('round-trips, with bigints as decimal strings', () => {
    const pkg = buildSettlementPackage({ batchId: BATCH_ID, items: batch.items });
    const text = serializeSettlementPackage(pkg);
    expect(JSON.parse(text).rootBefore).toBe(String(batch.roots[0]));
    expect(parseSettlementPackage(text)).toEqual(pkg);
    expect(parseSettlementPackage(JSON.parse(text))).toEqual(pkg);
  });

  it('refuses a malformed or inconsistent package', () => {
    const json = settlementPackageToJson(buildSettlementPackage({ batchId: BATCH_ID, items: batch.items }));
    const edited = (edit: (j: typeof json) => void) => {
      const copy = structuredClone(json);
      edit(copy);
      return copy;
    };
    const code = (v: unknown) => refusal(() => parseSettlementPackage(v)).code;
    expect(code('{not json')).toBe('MALFORMED_PACKAGE');
    expect(code(edited((j) => j.proofs[0]!.pop()))).toBe('MALFORMED_PACKAGE');
    expect(code(edited((j) => (j.rootBefore = `0${j.rootBefore}`)))).toBe('MALFORMED_PACKAGE');
    expect(code({ ...json, extra: 1 })).toBe('MALFORMED_PACKAGE');
    expect(code(edited((j) => (j.aggregationRoot = `0x${'00'.repeat(32)}`)))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.nullifiers[3] = '1')))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.rootAfter = '1')))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.publicInputs[1]![IX.rootBefore] = '1')))).toBe('ROOT_CHAIN_BROKEN');
    expect(code(edited((j) => (j.publicInputs[2]![IX.intentNullifier] = j.publicInputs[0]![IX.intentNullifier]!)))).toBe('DUPLICATE_INTENT');
  });
});
