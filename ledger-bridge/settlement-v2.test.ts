// DrexSettlementV2 with REAL proofs of the k-transfer circuit (k = 2, depth 8, nullifier-set depth 8) on
// the embedded EVM. The tests run in order on one chain: each refusal must leave the chain as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAbiParameters, encodeFunctionData, keccak256, parseEventLogs, toHex, type Hex, type TransactionReceipt } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureArtifacts, type Artifacts } from '../circuits/ceremony/setup.ts';
import { LedgerV2, type LedgerPoint } from '../circuits/model/v2/ledger.ts';
import { planBatches, type BatchPlan, type PlanItemV2 } from '../circuits/model/v2/plan-batches.ts';
import { batchPublicSignals, batchWitness, type BatchWitness } from '../circuits/model/v2/batch-witness.ts';
import { fundedV2, TEST_DOMAIN, ASSET, type FundedV2 } from '../circuits/model/v2/test-fixtures.ts';
import { loadCrypto } from '../circuits/model/crypto.ts';
import { devAccount } from '../circuits/model/keys.ts';
import { loadProverArtifacts, proveTransfer, type ProverArtifacts } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { toSolidityProof, type SolidityProof } from '../protocol/groth16-encoding.ts';
import { compileContracts } from './build/compile-contracts.ts';
import { createChainClient, type ChainClient } from './chain/chain-client.ts';
import { deploySettlementV2, emptyLedgerStateV2, settlementDomainV2, type SettlementV2Addresses } from './chain/deploy-settlement-v2.ts';
import { startEmbeddedChain, type EmbeddedChain } from './chain/embedded-chain.ts';
import { ContractRevertedError } from './chain/errors.ts';
import { revertOf, sendTransaction } from './chain/send-transaction.ts';
import { batchVerifierAbi, drexSettlementV2Abi } from './chain/settlement-abi.ts';
import { aggregationRootOf } from './test-support/prove-plan.ts';

const SHAPE = { k: 2, depth: 8, nullDepth: 8 };
const labels = new Map<Hex, string>();
const batchId = (label: string): Hex => {
  const id = toHex(`v2:${label}`, { size: 32 });
  labels.set(id, label);
  return id;
};

/** Storage slots of DrexSettlementV2 (Roles: 0; SettlementBase: 1..9; then its own), checked against eth_getStorageAt below. */
const SLOT = { totalSupply: 1n, noteRoot: 10n, nullRoot: 11n, nextNoteIndex: 12n, batches: 13n };
const batchSlot = (id: Hex) => BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [id, SLOT.batches])));

interface Proved {
  proofs: SolidityProof[];
  publicInputs: bigint[][];
}

let chain: EmbeddedChain;
let client: ChainClient;
/** A settler without MINTER_ROLE. */
let plainSettler: ChainClient;
let addrs: SettlementV2Addresses;
let domain: bigint;
let f: FundedV2;
let artifacts: Artifacts;
const gas: Record<string, { gasUsed: bigint; transfers: number; proofs: number; mode: string }> = {};

/** Plans, their ledger points, and their proofs. */
const plans = {} as Record<'fund' | 'A' | 'crossDouble' | 'X' | 'Y' | 'wrongDomain' | 'gapIndex', BatchPlan>;
const proved = {} as Record<keyof typeof plans | 'empty', Proved>;
/** Ledger points the chain passes through: P0 empty, P1 funded, P2 after A, P3 after X. */
const P: LedgerPoint[] = [];

function clientFor(key: Hex): ChainClient {
  return createChainClient({ url: chain.url, privateKey: key, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 50 });
}

async function prove(prover: ProverArtifacts, witnesses: readonly BatchWitness[]): Promise<Proved> {
  const out: Proved = { proofs: [], publicInputs: [] };
  for (const w of witnesses) {
    const r = await proveTransfer(prover, w.input as Record<string, unknown>);
    const expected = batchPublicSignals(w.public);
    if (r.publicSignals.join() !== expected.join()) throw new Error('public signals differ from the plan');
    out.proofs.push(toSolidityProof(r.proof));
    out.publicInputs.push(expected.map(BigInt));
  }
  return out;
}

const cat = (...bs: Proved[]): Proved => ({ proofs: bs.flatMap((b) => b.proofs), publicInputs: bs.flatMap((b) => b.publicInputs) });

function settleData(id: Hex, b: Proved, mode: 'batch' | 'per-proof' = 'batch'): Hex {
  return encodeFunctionData({
    abi: drexSettlementV2Abi,
    functionName: mode === 'per-proof' ? 'settleBatchPerProof' : 'settleBatch',
    args: [id, b.proofs, b.publicInputs as never],
  });
}

async function settle(id: Hex, b: Proved, opts: { mode?: 'batch' | 'per-proof'; c?: ChainClient } = {}) {
  const mode = opts.mode ?? 'batch';
  const { hash, receipt } = await sendTransaction(opts.c ?? client, { to: addrs.DrexSettlementV2, data: settleData(id, b, mode), abi: drexSettlementV2Abi, what: `settle ${id}` });
  expect(receipt.status).toBe('success');
  const events = parseEventLogs({ abi: drexSettlementV2Abi, eventName: 'BatchSettled', logs: receipt.logs });
  expect(events).toHaveLength(1);
  const transfers = b.publicInputs.reduce((s, x) => s + Number(x[5]), 0);
  gas[id] = { gasUsed: receipt.gasUsed, transfers, proofs: b.proofs.length, mode };
  return { hash, receipt, event: events[0]!.args };
}

/** A settlement the estimate refuses (nothing is sent): the contract error, decoded by name. */
async function refused(id: Hex, b: Proved, errorName: string, c: ChainClient = client): Promise<ContractRevertedError> {
  const err = await settle(id, b, { c }).then(
    () => {
      throw new Error(`expected ${errorName}, but it settled`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContractRevertedError);
  expect((err as ContractRevertedError).errorName).toBe(errorName);
  return err as ContractRevertedError;
}

const read = <F extends 'noteRoot' | 'nullifierRoot' | 'nextNoteIndex' | 'totalSupply' | 'domain' | 'transfersPerProof'>(functionName: F) =>
  client.public.readContract({ address: addrs.DrexSettlementV2, abi: drexSettlementV2Abi, functionName });

async function chainState() {
  const [noteRoot, nullRoot, noteIndex, supply] = await Promise.all([read('noteRoot'), read('nullifierRoot'), read('nextNoteIndex'), read('totalSupply')]);
  return { noteRoot, nullRoot, noteIndex, supply };
}

const modelState = (p: LedgerPoint, supply: bigint) => ({ noteRoot: p.noteRoot, nullRoot: p.nullRoot, noteIndex: BigInt(p.noteIndex), supply });

async function settledBatch(id: Hex) {
  const [prefix, blockNumber] = await client.public.readContract({ address: addrs.DrexSettlementV2, abi: drexSettlementV2Abi, functionName: 'settledBatch', args: [id] });
  return { prefix, blockNumber };
}

/** The storage slots a transaction wrote (SSTORE keys, from EDR's debug_traceTransaction), and the number of SSTOREs. */
async function storageWrites(hash: Hex): Promise<{ slots: Set<bigint>; count: number }> {
  const trace = (await chain.provider.request({ method: 'debug_traceTransaction', params: [hash, { disableStorage: true, disableMemory: true }] })) as {
    structLogs: { op: string; stack?: string[] }[];
  };
  const slots = new Set<bigint>();
  let count = 0;
  for (const l of trace.structLogs) {
    if (l.op !== 'SSTORE') continue;
    const top = l.stack![l.stack!.length - 1]!;
    slots.add(BigInt(top.startsWith('0x') ? top : `0x${top}`));
    count++;
  }
  return { slots, count };
}

/** Whether the batch verifier alone accepts the proofs (it ignores what the settlement checks). */
async function proofsValid(b: Proved): Promise<boolean> {
  return client.public.readContract({ address: addrs.BatchVerifier, abi: batchVerifierAbi, functionName: 'verify', args: [b.proofs, b.publicInputs as never] });
}

async function storageAt(slot: bigint): Promise<bigint> {
  return BigInt((await client.public.getStorageAt({ address: addrs.DrexSettlementV2, slot: toHex(slot, { size: 32 }) })) ?? '0x0');
}

beforeAll(async () => {
  const t0 = Date.now();
  artifacts = await ensureArtifacts({ circuit: { circuit: 'transfer-batch', ...SHAPE } });
  const contracts = await compileContracts({ artifacts });
  chain = await startEmbeddedChain();
  client = clientFor(chain.accounts[0]!);
  plainSettler = clientFor(chain.accounts[1]!);
  const crypto = await loadCrypto();
  addrs = await deploySettlementV2(client, {
    contracts,
    initial: emptyLedgerStateV2(crypto, SHAPE.depth, SHAPE.nullDepth),
    transfersPerProof: SHAPE.k,
    minterId: devAccount(crypto, 'test/minter').owner,
    complianceLimit: 1_000_000n,
    admin: privateKeyToAccount(chain.adminKey).address,
    settlers: [client.account.address, plainSettler.account.address],
    minters: [client.account.address],
    policyDelaySeconds: 3_600n,
  });
  // The intents are signed for the deployed contract's domain.
  domain = await read('domain');
  f = await fundedV2(SHAPE, { domain });
  const { crypto: c, ledger, params, alice, bob, carol } = f;
  const plan = (l: LedgerV2, items: PlanItemV2[], p = params) => planBatches(c, l, p, items);

  plans.fund = f.funding;
  P.push(f.funding.points[0]!, ledger.point);
  const S1 = ledger.toSnapshot();
  // A: three transfers, two proofs (the second with one slot in use).
  plans.A = plan(ledger, [{ signed: f.intent(alice, bob.owner, 100n) }, { signed: f.intent(bob, carol.owner, 50n) }, { signed: f.intent(alice, carol.owner, 20n) }]);
  P.push(ledger.point);
  // A double spend across batches: from the ledger before A (S1), re-spend the note A's first transfer spent.
  const spentByA = plans.A.proofs[0]!.transfers[0]!.spent[0]!;
  plans.crossDouble = plan(LedgerV2.fromSnapshot(c, S1), [{ signed: f.intent(alice, carol.owner, 7n), spend: [spentByA.commitment] }]);
  // A double spend inside a batch: X and Y both planned from the ledger after A (S2), both spending carol's note.
  const S2 = ledger.toSnapshot();
  const carolNote = ledger.notesOf(carol.owner, ASSET)[0]!;
  plans.X = plan(ledger, [{ signed: f.intent(carol, alice.owner, 5n), spend: [carolNote.commitment] }]);
  plans.Y = plan(LedgerV2.fromSnapshot(c, S2), [{ signed: f.intent(carol, bob.owner, 6n), spend: [carolNote.commitment] }]);
  P.push(ledger.point);
  // From the ledger after X (S3): intents signed for another domain (the circuit takes the domain as a
  // public input, so the proof is valid) ...
  const S3 = ledger.toSnapshot();
  plans.wrongDomain = plan(LedgerV2.fromSnapshot(c, S3), [{ signed: f.intent(bob, alice.owner, 3n, { domain: TEST_DOMAIN }) }], { ...params, domain: TEST_DOMAIN });
  // ... a transfer appended 10 leaves past the next free one (zero leaves: the same root, so a valid proof) ...
  const gapped = LedgerV2.fromSnapshot(c, { ...S3, leaves: [...S3.leaves, ...Array<string>(10).fill('0')] });
  expect(gapped.point.noteRoot).toBe(ledger.point.noteRoot);
  plans.gapIndex = plan(gapped, [{ signed: f.intent(bob, alice.owner, 4n) }]);
  // ... and a proof with no transfer at all.
  const empty = batchWitness(params, ledger.point, ledger.point, []);

  const prover = loadProverArtifacts(artifacts);
  const t1 = Date.now();
  for (const k of Object.keys(plans) as (keyof typeof plans)[]) proved[k] = await prove(prover, plans[k].proofs);
  proved.empty = await prove(prover, [empty]);
  await releaseSnarkjs();
  const n = Object.values(proved).reduce((s, b) => s + b.proofs.length, 0);
  console.log(`setup ${((t1 - t0) / 1000).toFixed(1)} s; ${n} proofs in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
  if (Object.keys(gas).length) {
    console.log('settle gas:');
    for (const [id, g] of Object.entries(gas)) {
      console.log(`  ${labels.get(id as Hex)} (${g.mode}): ${g.gasUsed} gas, ${g.proofs} proofs, ${g.transfers} transfers, ${g.gasUsed / BigInt(g.transfers)} per transfer`);
    }
  }
  await chain?.stop();
});

describe('DrexSettlementV2 on the embedded EVM (real k=2 proofs)', () => {
  it('deploys at the empty ledger with k, the domain of its chain id and address, and no value balance for a non-minter', async () => {
    expect(await read('transfersPerProof')).toBe(2n);
    expect(domain).toBe(settlementDomainV2(chain.chainId, addrs.DrexSettlementV2));
    expect(domain).not.toBe(TEST_DOMAIN);
    expect(await chainState()).toEqual(modelState(P[0]!, 0n));
    // The funding batch (three deposits) from a settler without MINTER_ROLE: refused at its first proof.
    const e = await refused(batchId('fund'), proved.fund, 'ValueBalanceNotAllowed', plainSettler);
    expect(e.args).toEqual([0n]);
    expect(await chainState()).toEqual(modelState(P[0]!, 0n));
    expect((await settledBatch(batchId('fund'))).blockNumber).toBe(0n);
  });

  it('settles the funding deposits (minted 1800) and a batch of 3 transfers in 2 proofs: roots and next index equal the model, and only the 3 state slots and the batch record are written', async () => {
    const fund = await settle(batchId('fund'), proved.fund);
    expect(fund.event).toMatchObject({ noteRootBefore: P[0]!.noteRoot, noteRootAfter: P[1]!.noteRoot, nullRootAfter: P[1]!.nullRoot, noteIndexAfter: 6n, transfers: 3n, minted: 1800n, burned: 0n });
    expect(await chainState()).toEqual(modelState(P[1]!, 1800n));

    const A = proved.A;
    expect(A.publicInputs.map((x) => x[5])).toEqual([2n, 1n]);
    const r = await settle(batchId('A'), A);
    expect(await chainState()).toEqual(modelState(P[2]!, 1800n));
    expect(P[2]!.noteIndex).toBe(P[1]!.noteIndex + 6);
    expect(r.event).toEqual({
      batchId: batchId('A'),
      aggregationRoot: aggregationRootOf(A),
      noteRootBefore: P[1]!.noteRoot,
      noteRootAfter: P[2]!.noteRoot,
      nullRootAfter: P[2]!.nullRoot,
      noteIndexAfter: BigInt(P[2]!.noteIndex),
      transfers: 3n,
      minted: 0n,
      burned: 0n,
    });
    // One slot per batch: the aggregation root's first 24 bytes and the block.
    const rec = await settledBatch(batchId('A'));
    expect(rec).toEqual({ prefix: aggregationRootOf(A).slice(0, 50), blockNumber: r.receipt.blockNumber });

    // The slot numbers are the contract's: the values stored there are the views'.
    expect(await storageAt(SLOT.noteRoot)).toBe(P[2]!.noteRoot);
    expect(await storageAt(SLOT.nullRoot)).toBe(P[2]!.nullRoot);
    expect(await storageAt(SLOT.nextNoteIndex)).toBe(BigInt(P[2]!.noteIndex));
    expect(await storageAt(SLOT.totalSupply)).toBe(1800n);
    expect(await storageAt(batchSlot(batchId('A')))).toBe((BigInt(aggregationRootOf(A)) & ~((1n << 64n) - 1n)) | r.receipt.blockNumber);

    // Every SSTORE of the settlement transactions: the 3 state slots and the batch record (and the supply
    // when the batch mints), one write each, whatever the number of transfers.
    const wA = await storageWrites(r.hash);
    expect(wA.slots).toEqual(new Set([SLOT.noteRoot, SLOT.nullRoot, SLOT.nextNoteIndex, batchSlot(batchId('A'))]));
    expect(wA.count).toBe(4);
    const wFund = await storageWrites(fund.hash);
    expect(wFund.slots).toEqual(new Set([SLOT.totalSupply, SLOT.noteRoot, SLOT.nullRoot, SLOT.nextNoteIndex, batchSlot(batchId('fund'))]));
    expect(wFund.count).toBe(5);
  });

  it('refuses a double spend across batches: a proof re-spending a note batch A spent, proven against the set before A (StaleNullifierRoot), also when mined', async () => {
    const ds = proved.crossDouble;
    expect(await proofsValid(ds)).toBe(true);
    expect(ds.publicInputs[0]![3]).toBe(P[1]!.nullRoot);
    const e = await refused(batchId('cross-double'), ds, 'StaleNullifierRoot');
    expect(e.args).toEqual([0n, P[2]!.nullRoot, P[1]!.nullRoot]);
    // Sent blindly (fixed gas, no estimate): mined, reverted, and the receipt's replay names the error.
    const data = settleData(batchId('cross-double'), ds);
    const { hash, receipt } = await sendTransaction(client, { to: addrs.DrexSettlementV2, data, abi: drexSettlementV2Abi, what: 'blind double spend', gas: 3_000_000n });
    expect(receipt.status).toBe('reverted');
    const rev = await revertOf(client, drexSettlementV2Abi, receipt as TransactionReceipt, { hash, to: addrs.DrexSettlementV2, data });
    expect(rev).toMatchObject({ errorName: 'StaleNullifierRoot', args: [0n, P[2]!.nullRoot, P[1]!.nullRoot] });
    expect(await chainState()).toEqual(modelState(P[2]!, 1800n));
    expect((await settledBatch(batchId('cross-double'))).blockNumber).toBe(0n);
  });

  it('refuses a double spend inside a batch: two proofs planned from the same ledger point spending one note (StaleNullifierRoot at index 1); the first alone settles (per-proof verification)', async () => {
    const { X, Y } = proved;
    expect(await proofsValid(cat(X, Y))).toBe(true);
    expect(X.publicInputs[0]![3]).toBe(P[2]!.nullRoot);
    expect(Y.publicInputs[0]![3]).toBe(P[2]!.nullRoot);
    const e = await refused(batchId('XY'), cat(X, Y), 'StaleNullifierRoot');
    expect(e.args).toEqual([1n, X.publicInputs[0]![4], P[2]!.nullRoot]);
    expect(await chainState()).toEqual(modelState(P[2]!, 1800n));

    const r = await settle(batchId('X'), X, { mode: 'per-proof' });
    expect(await chainState()).toEqual(modelState(P[3]!, 1800n));
    const w = await storageWrites(r.hash);
    expect(w.slots).toEqual(new Set([SLOT.noteRoot, SLOT.nullRoot, SLOT.nextNoteIndex, batchSlot(batchId('X'))]));
    expect(w.count).toBe(4);
    // Y can never settle now: it was proven against the set before X's spend of the same note.
    expect((await refused(batchId('Y'), Y, 'StaleNullifierRoot')).args).toEqual([0n, P[3]!.nullRoot, P[2]!.nullRoot]);
  });

  it('refuses valid proofs the chain must not take: NoteIndexMismatch, DomainMismatch, TransfersOutOfRange; and the same batch id twice (BatchAlreadySettled), changing nothing', async () => {
    const here = modelState(P[3]!, 1800n);
    const { gapIndex, wrongDomain, empty } = proved;
    expect(await proofsValid(cat(gapIndex, wrongDomain, empty))).toBe(true);

    expect(gapIndex.publicInputs[0]![0]).toBe(P[3]!.noteRoot);
    expect((await refused(batchId('gap'), gapIndex, 'NoteIndexMismatch')).args).toEqual([0n, BigInt(P[3]!.noteIndex), BigInt(P[3]!.noteIndex + 10)]);

    expect((await refused(batchId('domain'), wrongDomain, 'DomainMismatch')).args).toEqual([0n, TEST_DOMAIN]);

    expect(empty.publicInputs[0]![5]).toBe(0n);
    expect((await refused(batchId('empty'), empty, 'TransfersOutOfRange')).args).toEqual([0n, 0n]);

    // The id of a settled batch, with proofs that would otherwise pass every check before verification.
    expect((await refused(batchId('X'), empty, 'BatchAlreadySettled')).args).toEqual([batchId('X')]);

    expect(await chainState()).toEqual(here);
    for (const id of ['gap', 'domain', 'empty']) expect((await settledBatch(batchId(id))).blockNumber).toBe(0n);
  });
});
