import { beforeAll, describe, expect, it } from 'vitest';
import { batchPublicSignals, type BatchPublic } from '../circuits/model/batch-witness.ts';
import { toSolidityProof } from '../protocol/groth16-encoding.ts';
import { pointAfter, pointBefore, type ChainPoint } from '../protocol/ledger-point.ts';
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
}, 600_000);

function refusal(fn: () => unknown): SettlementPackageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SettlementPackageError) return err;
    throw err;
  }
  throw new Error('expected a SettlementPackageError');
}

function expectRefused(fn: () => unknown, code: SettlementPackageErrorCode, proofIndex?: number): void {
  const err = refusal(fn);
  expect(err.code).toBe(code);
  expect(err.proofIndex).toBe(proofIndex);
}

/** A copy of `item` with its public signal `k` set to `value`. */
const withSignal = (item: ProofItem, k: number, value: bigint): ProofItem => ({
  proof: item.proof,
  publicSignals: item.publicSignals.map((s, j) => (j === k ? String(value) : s)),
});

/** `points` with point `i`'s field `key` moved by one. */
const nudged = (points: readonly ChainPoint[], i: number, key: keyof ChainPoint): ChainPoint[] =>
  points.map((p, j) => (j === i ? { ...p, [key]: p[key] + 1n } : p));

describe('buildSettlementPackage', () => {
  it('reads the public inputs in the circuit order', () => {
    const pub: BatchPublic = {
      noteRootBefore: 1n, noteRootAfter: 2n, noteIndex: 3n, nullRootBefore: 4n, nullRootAfter: 5n, transfers: 6n,
      valueIn: 7n, valueOut: 8n, limit: 9n, minter: 10n, domain: 11n,
    };
    const s = batchPublicSignals(pub).map(BigInt);
    expect(s).toHaveLength(IX.count);
    expect((['noteRootBefore', 'noteRootAfter', 'noteIndex', 'nullRootBefore', 'nullRootAfter', 'transfers', 'valueIn', 'valueOut', 'limit', 'minter', 'domain'] as const).map((k) => s[IX[k]])).toEqual(
      [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n],
    );
    expect(pointBefore(s)).toEqual({ noteRoot: 1n, noteIndex: 3n, nullRoot: 4n });
    expect(pointAfter(s)).toEqual({ noteRoot: 2n, noteIndex: 15n, nullRoot: 5n });
  });

  it('packages a verified batch: its points, transfers, domain, proofs and aggregation root', () => {
    const pkg = buildSettlementPackage({ batchId: BATCH_ID.toUpperCase().replace('0X', '0x'), items: batch.items, expectedPoints: batch.points, domain: batch.domain });
    const n = batch.items.length;
    expect(pkg.version).toBe(2);
    expect(pkg.batchId).toBe(BATCH_ID);
    expect(pkg.before).toEqual(batch.points[0]);
    expect(pkg.after).toEqual(batch.points[n]);
    expect(pkg.after.noteIndex).toBe(pkg.before.noteIndex + 6n);
    expect(pkg.transfers).toBe(3);
    expect(pkg.transfers).toBe(Number(batch.publics.reduce((s, p) => s + p.transfers, 0n)));
    expect(pkg.domain).toBe(batch.domain);
    expect(pkg.proofs).toEqual(batch.items.map((i) => toSolidityProof(i.proof)));
    expect(pkg.publicInputs).toEqual(batch.items.map((i) => i.publicSignals.map(BigInt)));
    expect(pkg.aggregationRoot).toBe(aggregationRoot(batch.items));
  });

  it('refuses a broken chain of points: reordered, a gap, or not the planned points', () => {
    const [a, b, c] = batch.items as [ProofItem, ProofItem, ProofItem];
    expect(batch.items).toHaveLength(3);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [b, a, c] }), 'ROOT_CHAIN_BROKEN', 1);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, c] }), 'ROOT_CHAIN_BROKEN', 1);
    for (const key of ['noteRoot', 'noteIndex', 'nullRoot'] as const) {
      expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: batch.items, expectedPoints: nudged(batch.points, 2, key) }), 'ROOT_CHAIN_BROKEN', 1);
    }
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: batch.items, expectedPoints: nudged(batch.points, 0, 'noteIndex') }), 'ROOT_CHAIN_BROKEN', 0);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [b, c], expectedPoints: batch.points.slice(0, 3) }), 'ROOT_CHAIN_BROKEN', 0);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: batch.items, expectedPoints: batch.points.slice(1) }), 'ROOT_CHAIN_BROKEN');
    expect(buildSettlementPackage({ batchId: BATCH_ID, items: [b, c], expectedPoints: batch.points.slice(1) }).before).toEqual(batch.points[1]);
  });

  it('refuses a proof that does not continue the previous one in note root, note index or nullifier state', () => {
    const [a, b, c] = batch.items as [ProofItem, ProofItem, ProofItem];
    const at = (item: ProofItem, k: number) => BigInt(item.publicSignals[k]!);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, withSignal(b, IX.noteRootBefore, at(b, IX.noteRootBefore) + 1n), c] }), 'ROOT_CHAIN_BROKEN', 1);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, withSignal(b, IX.noteIndex, at(b, IX.noteIndex) + 2n), c] }), 'ROOT_CHAIN_BROKEN', 1);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, b, withSignal(c, IX.nullRootBefore, at(a, IX.nullRootBefore))] }), 'ROOT_CHAIN_BROKEN', 2);
    // A proof claiming two transfers ends two leaves further: the next one no longer starts there.
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [withSignal(a, IX.transfers, 2n), b, c] }), 'ROOT_CHAIN_BROKEN', 1);
  });

  it('refuses proofs signed in different domains, or not in the deployment\'s', () => {
    const [a, b, c] = batch.items as [ProofItem, ProofItem, ProofItem];
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [a, withSignal(b, IX.domain, batch.domain + 1n), c] }), 'DOMAIN_MISMATCH', 1);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: batch.items, domain: batch.domain + 1n }), 'DOMAIN_MISMATCH', 0);
    expect(buildSettlementPackage({ batchId: BATCH_ID, items: [a], domain: batch.domain }).domain).toBe(batch.domain);
  });

  it('refuses an empty batch, a bad batch id, a malformed item and a proof without transfers', () => {
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [] }), 'EMPTY_BATCH');
    expectRefused(() => buildSettlementPackage({ batchId: '0x1234', items: batch.items }), 'BAD_BATCH_ID');
    const short = { proof: batch.items[0]!.proof, publicSignals: batch.items[0]!.publicSignals.slice(1) };
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [short] }), 'MALFORMED_ITEM', 0);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [batch.items[0]!, withSignal(batch.items[1]!, IX.transfers, 0n)] }), 'MALFORMED_ITEM', 1);
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [withSignal(batch.items[0]!, IX.transfers, 65n)] }), 'MALFORMED_ITEM', 0);
    // More than the deployment's k (the proofs here carry one transfer each).
    expectRefused(() => buildSettlementPackage({ batchId: BATCH_ID, items: [withSignal(batch.items[0]!, IX.transfers, 2n)], transfersPerProof: 1 }), 'MALFORMED_ITEM', 0);
  });
});

describe('settlement package JSON', () => {
  it('round-trips, with field elements as decimal strings', () => {
    const pkg = buildSettlementPackage({ batchId: BATCH_ID, items: batch.items });
    const text = serializeSettlementPackage(pkg);
    expect(JSON.parse(text)).toMatchObject({
      version: 2,
      before: { noteRoot: String(batch.points[0]!.noteRoot), noteIndex: Number(batch.points[0]!.noteIndex), nullRoot: String(batch.points[0]!.nullRoot) },
      transfers: 3,
      domain: String(batch.domain),
    });
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
    expect(code({ ...json, version: 1 })).toBe('MALFORMED_PACKAGE');
    expect(code(edited((j) => j.proofs[0]!.pop()))).toBe('MALFORMED_PACKAGE');
    expect(code(edited((j) => (j.domain = `0${j.domain}`)))).toBe('MALFORMED_PACKAGE');
    expect(code(edited((j) => (j.before.noteIndex = -1)))).toBe('MALFORMED_PACKAGE');
    expect(code({ ...json, extra: 1 })).toBe('MALFORMED_PACKAGE');
    expect(code(edited((j) => (j.aggregationRoot = `0x${'00'.repeat(32)}`)))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.before.nullRoot = '1')))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.after.noteIndex += 2)))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.transfers = 4)))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.domain = '1')))).toBe('INCONSISTENT_PACKAGE');
    expect(code(edited((j) => (j.publicInputs[1]![IX.noteRootBefore] = '1')))).toBe('ROOT_CHAIN_BROKEN');
    expect(code(edited((j) => (j.publicInputs[2]![IX.domain] = '1')))).toBe('DOMAIN_MISMATCH');
  });
});
