// DrexSettlement with REAL proofs of the k-transfer circuit (k = 2, depth 8, nullifier-set depth 8) on the
// embedded EVM, through its JSON-RPC URL. The tests run in order on one chain: each refusal must leave the
// chain as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAbiParameters, encodeFunctionData, keccak256, parseEventLogs, toHex, type Hex, type TransactionReceipt } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { FIELD_ORDER, loadCrypto } from '../circuits/model/crypto.ts';
import { devAccount } from '../circuits/model/keys.ts';
import { Ledger, type LedgerPoint } from '../circuits/model/ledger.ts';
import { planBatches, type BatchPlan, type PlanItem } from '../circuits/model/plan-batches.ts';
import { batchWitness } from '../circuits/model/batch-witness.ts';
import { fundedLedger, TEST_DOMAIN, ASSET, type FundedLedger } from '../circuits/model/test-fixtures.ts';
import type { ChainPoint } from '../protocol/ledger-point.ts';
import type { SolidityProof } from '../protocol/groth16-encoding.ts';
import { loadProverArtifacts } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { compileContracts } from './build/compile-contracts.ts';
import { createChainClient, type ChainClient } from './chain/chain-client.ts';
import { decodeRevert } from './chain/decode-revert.ts';
import { deploySettlement, emptyLedgerState, settlementDomain, type SettlementAddresses } from './chain/deploy-settlement.ts';
import { startEmbeddedChain, type EmbeddedChain } from './chain/embedded-chain.ts';
import { ContractRevertedError, SettlementInputError, SettlementRevertedError } from './chain/errors.ts';
import { findSettlement, getDomain, getLedgerPoint, getSettledBatch, getTotalSupply } from './chain/read-settlement.ts';
import { estimateTransactionGas, revertOf, sendTransaction } from './chain/send-transaction.ts';
import { encodeSettleBatch, settleBatch, type SettleBatchParams, type SettlementResult } from './chain/settle-batch.ts';
import { batchVerifierAbi, drexSettlementAbi } from './chain/settlement-abi.ts';
import { startDroppingProxy } from './test-support/dropping-proxy.ts';
import { aggregationRootOf, concatProved, provePlan, withInput, type ProvedBatch } from './test-support/prove-plan.ts';
import { transferCycle } from './test-support/transfer-cycle.ts';

const SHAPE = { k: 2, depth: 8, nullDepth: 8 };
const POLICY_DELAY = 3_600n;
const batchId = (label: string): Hex => toHex(`batch:${label}`, { size: 32 });

/** Storage slots of DrexSettlement (Roles: 0; SettlementBase: 1..9; then its own), checked against the views below. */
const SLOT = { totalSupply: 1n, noteRoot: 10n, nullRoot: 11n, nextNoteIndex: 12n, batches: 13n };
const batchSlot = (id: Hex) => BigInt(keccak256(encodeAbiParameters([{ type: 'bytes32' }, { type: 'uint256' }], [id, SLOT.batches])));

let chain: EmbeddedChain;
let client: ChainClient;
/** A settler without MINTER_ROLE. */
let plainSettler: ChainClient;
/** No role at all. */
let outsider: ChainClient;
let addrs: SettlementAddresses;
let domain: bigint;
let f: FundedLedger;
const plans = {} as Record<'fund' | 'A' | 'crossDouble' | 'X' | 'Y' | 'wrongDomain' | 'gapIndex' | 'C' | 'D', BatchPlan>;
const proved = {} as Record<keyof typeof plans | 'empty', ProvedBatch>;
/** Ledger points the chain passes through: P0 empty, P1 funded, P2 after A, P3 after X, P4 after C, P5 after D. */
const P: LedgerPoint[] = [];
const gas: { label: string; gasUsed: bigint; transfers: number; proofs: number; mode: string }[] = [];

function clientFor(url: string, key: Hex): ChainClient {
  return createChainClient({ url, privateKey: key, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 50, retry: { attempts: 12, initialDelayMs: 100, maxDelayMs: 1_000 } });
}

const point = (p: LedgerPoint): ChainPoint => ({ noteRoot: p.noteRoot, noteIndex: BigInt(p.noteIndex), nullRoot: p.nullRoot });

async function settle(label: string, b: ProvedBatch, extra: Partial<SettleBatchParams> = {}, c: ChainClient = client): Promise<SettlementResult> {
  const r = await settleBatch(c, { address: addrs.DrexSettlement, batchId: batchId(label), proofs: b.proofs, publicInputs: b.publicInputs, ...extra });
  if (!r.alreadySettled) gas.push({ label, gasUsed: r.gasUsed, transfers: r.transfers, proofs: b.proofs.length, mode: extra.mode ?? 'batch' });
  return r;
}

/** A settlement the client refuses: the contract error, decoded by name. */
async function refused(p: Promise<unknown>, errorName: string): Promise<SettlementRevertedError> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${errorName}, but it settled`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SettlementRevertedError);
  const e = err as SettlementRevertedError;
  expect(e.code).toBe('SETTLEMENT_REVERTED');
  expect(e.errorName).toBe(errorName);
  return e;
}

/** settleBatch's calldata, for sends past the client (blind, or shapes the client refuses). */
const settleData = (label: string, b: ProvedBatch, mode: 'batch' | 'per-proof' = 'batch') =>
  encodeFunctionData({ abi: drexSettlementAbi, functionName: mode === 'per-proof' ? 'settleBatchPerProof' : 'settleBatch', args: [batchId(label), b.proofs, b.publicInputs as never] });

/** A raw send the estimate refuses (nothing is sent): the contract error, decoded by name. */
async function rawRefused(data: Hex, errorName: string, c: ChainClient = client): Promise<ContractRevertedError> {
  const err = await sendTransaction(c, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'raw settle' }).then(
    () => {
      throw new Error(`expected ${errorName}, but it was mined`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContractRevertedError);
  expect((err as ContractRevertedError).errorName).toBe(errorName);
  return err as ContractRevertedError;
}

/** The chain's ledger point and supply. */
async function chainState(): Promise<{ point: ChainPoint; supply: bigint }> {
  return { point: await getLedgerPoint(client, addrs.DrexSettlement), supply: await getTotalSupply(client, addrs.DrexSettlement) };
}
const at = (p: LedgerPoint, supply: bigint) => ({ point: point(p), supply });

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

async function storageAt(slot: bigint): Promise<bigint> {
  return BigInt((await client.public.getStorageAt({ address: addrs.DrexSettlement, slot: toHex(slot, { size: 32 }) })) ?? '0x0');
}

/** Whether the batch verifier alone accepts the proofs (it ignores what the settlement checks). */
async function proofsValid(b: ProvedBatch): Promise<boolean> {
  return client.public.readContract({ address: addrs.BatchVerifier, abi: batchVerifierAbi, functionName: 'verify', args: [b.proofs, b.publicInputs as never] });
}

async function batchSettledLogs(label?: string) {
  const event = drexSettlementAbi.find((x) => x.type === 'event' && x.name === 'BatchSettled') as never;
  return client.public.getLogs({ address: addrs.DrexSettlement, event, ...(label ? { args: { batchId: batchId(label) } as never } : {}), fromBlock: 0n });
}

beforeAll(async () => {
  const t0 = Date.now();
  const artifacts = await ensureArtifacts({ circuit: { circuit: 'transfer-batch', ...SHAPE } });
  const contracts = await compileContracts({ artifacts });
  chain = await startEmbeddedChain();
  client = clientFor(chain.url, chain.accounts[0]!);
  plainSettler = clientFor(chain.url, chain.accounts[1]!);
  outsider = clientFor(chain.url, chain.accounts[2]!);
  const crypto = await loadCrypto();
  addrs = await deploySettlement(client, {
    contracts,
    initial: emptyLedgerState(crypto, SHAPE.depth, SHAPE.nullDepth),
    transfersPerProof: SHAPE.k,
    minterId: devAccount(crypto, 'test/minter').owner,
    complianceLimit: 1_000_000n,
    admin: privateKeyToAccount(chain.adminKey).address,
    settlers: [client.account.address, plainSettler.account.address],
    minters: [client.account.address],
    policyDelaySeconds: POLICY_DELAY,
  });
  // The intents are signed for the deployed contract's domain.
  domain = await getDomain(client, addrs.DrexSettlement);
  f = await fundedLedger(SHAPE, { domain });
  const { crypto: c, ledger, params, alice, bob, carol } = f;
  const plan = (l: Ledger, items: PlanItem[], p = params) => planBatches(c, l, p, items);

  plans.fund = f.funding;
  P.push(f.funding.points[0]!, ledger.point);
  const S1 = ledger.toSnapshot();
  // A: three transfers, two proofs (the second with one slot in use).
  plans.A = plan(ledger, [{ signed: f.intent(alice, bob.owner, 100n) }, { signed: f.intent(bob, carol.owner, 50n) }, { signed: f.intent(alice, carol.owner, 20n) }]);
  P.push(ledger.point);
  // A double spend across batches: from the ledger before A (S1), re-spend the note A's first transfer spent.
  const spentByA = plans.A.proofs[0]!.transfers[0]!.spent[0]!;
  plans.crossDouble = plan(Ledger.fromSnapshot(c, S1), [{ signed: f.intent(alice, carol.owner, 7n), spend: [spentByA.commitment] }]);
  // A double spend inside a batch: X and Y both planned from the ledger after A (S2), both spending carol's note.
  const S2 = ledger.toSnapshot();
  const carolNote = ledger.notesOf(carol.owner, ASSET)[0]!;
  plans.X = plan(ledger, [{ signed: f.intent(carol, alice.owner, 5n), spend: [carolNote.commitment] }]);
  plans.Y = plan(Ledger.fromSnapshot(c, S2), [{ signed: f.intent(carol, bob.owner, 6n), spend: [carolNote.commitment] }]);
  P.push(ledger.point);
  // From the ledger after X (S3): intents signed for another domain (the circuit takes the domain as a
  // public input, so the proof is valid) ...
  const S3 = ledger.toSnapshot();
  plans.wrongDomain = plan(Ledger.fromSnapshot(c, S3), [{ signed: f.intent(bob, alice.owner, 3n, { domain: TEST_DOMAIN }) }], { ...params, domain: TEST_DOMAIN });
  // ... a transfer appended 10 leaves past the next free one (zero leaves: the same root, so a valid proof) ...
  const gapped = Ledger.fromSnapshot(c, { ...S3, leaves: [...S3.leaves, ...Array<string>(10).fill('0')] });
  expect(gapped.point.noteRoot).toBe(ledger.point.noteRoot);
  plans.gapIndex = plan(gapped, [{ signed: f.intent(bob, alice.owner, 4n) }]);
  // ... and a proof with no transfer at all.
  const empty = batchWitness(params, ledger.point, ledger.point, []);
  // C: a deposit by the minter and a transfer in one proof; D: three transfers in two proofs.
  plans.C = plan(ledger, [{ signed: f.intent(f.minter, carol.owner, 50n) }, ...transferCycle(f, 1)]);
  P.push(ledger.point);
  plans.D = plan(ledger, transferCycle(f, 3));
  P.push(ledger.point);

  const prover = loadProverArtifacts(artifacts);
  const t1 = Date.now();
  for (const k of Object.keys(plans) as (keyof typeof plans)[]) proved[k] = await provePlan(prover, plans[k]);
  proved.empty = await provePlan(prover, { proofs: [{ ...empty, index: 0, transfers: [] }] });
  await releaseSnarkjs();
  const n = Object.values(proved).reduce((s, b) => s + b.proofs.length, 0);
  console.log(`setup ${((t1 - t0) / 1000).toFixed(1)} s; ${n} proofs in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}, 900_000);

afterAll(async () => {
  if (gas.length) {
    console.log('settle gas:');
    for (const g of gas) console.log(`  ${g.label} (${g.mode}): ${g.gasUsed} gas, ${g.proofs} proofs, ${g.transfers} transfers, ${g.gasUsed / BigInt(g.transfers)} per transfer`);
  }
  await chain?.stop();
});

describe('DrexSettlement on the embedded EVM (real k=2 proofs)', () => {
  it('deploys at the empty ledger with k and the domain of its chain id and address; refuses an outsider (MissingRole), a value balance from a settler without MINTER_ROLE (ValueBalanceNotAllowed), an empty batch and mismatched lengths', async () => {
    const read = (functionName: 'transfersPerProof' | 'SETTLER_ROLE') => client.public.readContract({ address: addrs.DrexSettlement, abi: drexSettlementAbi, functionName });
    expect(await read('transfersPerProof')).toBe(2n);
    expect(domain).toBe(settlementDomain(chain.chainId, addrs.DrexSettlement));
    expect(domain).not.toBe(TEST_DOMAIN);
    expect(await chainState()).toEqual(at(P[0]!, 0n));

    const e0 = await refused(settle('fund', proved.fund, {}, outsider), 'MissingRole');
    expect(e0.args).toEqual([await read('SETTLER_ROLE'), outsider.account.address]);
    // The funding batch (three deposits) from a settler without MINTER_ROLE: refused at its first proof.
    expect((await refused(settle('fund', proved.fund, {}, plainSettler), 'ValueBalanceNotAllowed')).args).toEqual([0n]);
    // Shapes the client refuses before sending; the contract refuses them too.
    const none = { proofs: [], publicInputs: [] };
    await expect(settle('empty-shape', none)).rejects.toBeInstanceOf(SettlementInputError);
    await rawRefused(settleData('empty-shape', none), 'EmptyBatch');
    const uneven = { proofs: proved.fund.proofs, publicInputs: proved.fund.publicInputs.slice(0, 1) };
    await expect(settle('uneven', uneven)).rejects.toBeInstanceOf(SettlementInputError);
    expect((await rawRefused(settleData('uneven', uneven), 'LengthMismatch')).args).toEqual([2n, 1n]);

    expect(await chainState()).toEqual(at(P[0]!, 0n));
    expect(await getSettledBatch(client, addrs.DrexSettlement, batchId('fund'))).toBeNull();
  });

  it('settles the funding deposits (minted 1800): the record is the model\'s points, and only the 3 state slots, the supply and the batch record are written', async () => {
    const r = await settle('fund', proved.fund);
    expect(r).toMatchObject({ alreadySettled: false, noteRootBefore: P[0]!.noteRoot, after: point(P[1]!), transfers: 3, minted: 1800n, burned: 0n });
    expect(r.aggregationRoot).toBe(aggregationRootOf(proved.fund));
    expect(await chainState()).toEqual(at(P[1]!, 1800n));
    const w = await storageWrites(r.txHash);
    expect(w.slots).toEqual(new Set([SLOT.totalSupply, SLOT.noteRoot, SLOT.nullRoot, SLOT.nextNoteIndex, batchSlot(batchId('fund'))]));
    expect(w.count).toBe(5);
  });

  it('refuses batch A with swapped proofs, a point off the curve, a changed public input, or an after root aliased by the field order (InvalidBatchProof), changing nothing', async () => {
    const A = proved.A;
    expect(await proofsValid(A)).toBe(true);
    await refused(settle('A-swapped', { ...A, proofs: [A.proofs[1]!, A.proofs[0]!] }), 'InvalidBatchProof');
    const offCurve = { ...A, proofs: A.proofs.map((p, i) => (i === 1 ? ([p[0] + 1n, ...p.slice(1)] as unknown as SolidityProof) : p)) };
    await refused(settle('A-off-curve', offCurve), 'InvalidBatchProof');
    // A lower limit passes the policy check, not the pairing.
    await refused(settle('A-limit', withInput(A, 1, 8, (v) => v - 1n)), 'InvalidBatchProof');
    // The last root + r is the same field element to the pairing, but another root to the chain.
    await refused(settle('A-aliased', withInput(A, 1, 1, (v) => v + FIELD_ORDER)), 'InvalidBatchProof');
    expect(await chainState()).toEqual(at(P[1]!, 1800n));
    for (const id of ['A-swapped', 'A-off-curve', 'A-limit', 'A-aliased']) expect(await getSettledBatch(client, addrs.DrexSettlement, batchId(id))).toBeNull();
  });

  it('settles a batch of 3 transfers in 2 proofs: the chain ends at the model\'s point, records the aggregation root\'s prefix and block in one slot, and writes only the 3 state slots and that record', async () => {
    const A = proved.A;
    expect(A.publicInputs.map((x) => x[5])).toEqual([2n, 1n]);
    const r = await settle('A', A);
    expect(P[2]!.noteIndex).toBe(P[1]!.noteIndex + 6);
    expect(r).toMatchObject({ alreadySettled: false, noteRootBefore: P[1]!.noteRoot, after: point(P[2]!), transfers: 3, minted: 0n, burned: 0n, aggregationRoot: aggregationRootOf(A) });
    expect(await chainState()).toEqual(at(P[2]!, 1800n));
    const [ev] = parseEventLogs({ abi: drexSettlementAbi, eventName: 'BatchSettled', logs: (await client.public.getTransactionReceipt({ hash: r.txHash })).logs });
    expect(ev!.args).toEqual({
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
    expect(await getSettledBatch(client, addrs.DrexSettlement, batchId('A'))).toEqual({ aggregationRootPrefix: aggregationRootOf(A).slice(0, 50), blockNumber: r.blockNumber });
    const { gasUsed: _g, alreadySettled: _a, ...record } = r;
    expect(await findSettlement(client, addrs.DrexSettlement, batchId('A'))).toEqual(record);

    // The slot numbers are the contract's: the values stored there are the views'.
    expect(await storageAt(SLOT.noteRoot)).toBe(P[2]!.noteRoot);
    expect(await storageAt(SLOT.nullRoot)).toBe(P[2]!.nullRoot);
    expect(await storageAt(SLOT.nextNoteIndex)).toBe(BigInt(P[2]!.noteIndex));
    expect(await storageAt(SLOT.totalSupply)).toBe(1800n);
    expect(await storageAt(batchSlot(batchId('A')))).toBe((BigInt(aggregationRootOf(A)) & ~((1n << 64n) - 1n)) | r.blockNumber);
    const w = await storageWrites(r.txHash);
    expect(w.slots).toEqual(new Set([SLOT.noteRoot, SLOT.nullRoot, SLOT.nextNoteIndex, batchSlot(batchId('A'))]));
    expect(w.count).toBe(4);
  });

  it('settles a batch id once: a blind resend reverts (BatchAlreadySettled), the client returns the original settlement; the same proofs under a new id are stale (StaleNullifierRoot), a proof not at the note root is refused (RootMismatch)', async () => {
    const A = proved.A;
    const first = await findSettlement(client, addrs.DrexSettlement, batchId('A'));
    // Sent blindly (fixed gas, no estimate): mined, reverted, and the receipt's replay names the error.
    const data = settleData('A', A);
    const blind = await sendTransaction(client, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'blind resend', gas: 3_000_000n });
    expect(blind.receipt.status).toBe('reverted');
    const rev = await revertOf(client, drexSettlementAbi, blind.receipt as TransactionReceipt, { hash: blind.hash, to: addrs.DrexSettlement, data });
    expect(rev).toMatchObject({ errorName: 'BatchAlreadySettled', args: [batchId('A')] });
    // The client is idempotent: it reports the original transaction and sends nothing.
    const nonce = await client.public.getTransactionCount({ address: client.account.address });
    const again = await settle('A', A);
    expect(again).toMatchObject({ ...first, alreadySettled: true });
    expect(await client.public.getTransactionCount({ address: client.account.address })).toBe(nonce);
    // The same proofs under a new id: mined with fixed gas, decoded from the receipt.
    const stale = await refused(settle('A-again', A, { gas: 3_000_000n }), 'StaleNullifierRoot');
    expect(stale.args).toEqual([0n, P[2]!.nullRoot, P[1]!.nullRoot]);
    expect(stale.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    // X starts at the chain's point; with another note root it is refused before verification.
    const moved = await refused(settle('X-moved', withInput(proved.X, 0, 0, (v) => v + 1n)), 'RootMismatch');
    expect(moved.args).toEqual([0n, P[2]!.noteRoot, P[2]!.noteRoot + 1n]);
    expect(await chainState()).toEqual(at(P[2]!, 1800n));
    expect(await batchSettledLogs('A')).toHaveLength(1);
  });

  it('refuses a double spend across batches: a proof re-spending a note batch A spent, proven against the set before A (StaleNullifierRoot)', async () => {
    const ds = proved.crossDouble;
    expect(await proofsValid(ds)).toBe(true);
    expect(ds.publicInputs[0]![3]).toBe(P[1]!.nullRoot);
    expect((await refused(settle('cross-double', ds), 'StaleNullifierRoot')).args).toEqual([0n, P[2]!.nullRoot, P[1]!.nullRoot]);
    expect(await chainState()).toEqual(at(P[2]!, 1800n));
  });

  it('refuses a double spend inside a batch: two proofs planned from the same point spending one note (StaleNullifierRoot at index 1); the first alone settles (per-proof verification)', async () => {
    const { X, Y } = proved;
    const XY = concatProved(X, Y);
    expect(await proofsValid(XY)).toBe(true);
    expect(X.publicInputs[0]![3]).toBe(P[2]!.nullRoot);
    expect(Y.publicInputs[0]![3]).toBe(P[2]!.nullRoot);
    expect((await refused(settle('XY', XY), 'StaleNullifierRoot')).args).toEqual([1n, X.publicInputs[0]![4], P[2]!.nullRoot]);
    expect(await chainState()).toEqual(at(P[2]!, 1800n));

    const r = await settle('X', X, { mode: 'per-proof' });
    expect(r).toMatchObject({ after: point(P[3]!), transfers: 1 });
    expect(await chainState()).toEqual(at(P[3]!, 1800n));
    const w = await storageWrites(r.txHash);
    expect(w.slots).toEqual(new Set([SLOT.noteRoot, SLOT.nullRoot, SLOT.nextNoteIndex, batchSlot(batchId('X'))]));
    expect(w.count).toBe(4);
    // Y can never settle now: it was proven against the set before X's spend of the same note.
    expect((await refused(settle('Y', Y), 'StaleNullifierRoot')).args).toEqual([0n, P[3]!.nullRoot, P[2]!.nullRoot]);
  });

  it('refuses valid proofs the chain must not take: NoteIndexMismatch, DomainMismatch, TransfersOutOfRange (none, or more than k), ValueOutOfRange (before verification); and another batch under a settled id (BatchAlreadySettled), changing nothing', async () => {
    const { gapIndex, wrongDomain, empty, C } = proved;
    expect(await proofsValid(concatProved(gapIndex, wrongDomain, empty))).toBe(true);

    expect(gapIndex.publicInputs[0]![0]).toBe(P[3]!.noteRoot);
    expect((await refused(settle('gap', gapIndex), 'NoteIndexMismatch')).args).toEqual([0n, BigInt(P[3]!.noteIndex), BigInt(P[3]!.noteIndex + 10)]);
    expect((await refused(settle('domain', wrongDomain), 'DomainMismatch')).args).toEqual([0n, TEST_DOMAIN]);
    expect(empty.publicInputs[0]![5]).toBe(0n);
    expect((await refused(settle('empty', empty), 'TransfersOutOfRange')).args).toEqual([0n, 0n]);
    expect((await refused(settle('C-3', withInput(C, 0, 5, () => 3n)), 'TransfersOutOfRange')).args).toEqual([0n, 3n]);
    // k = 2 transfers move less than 2^65 each way; a larger claim is refused by name, not by an overflow.
    expect((await refused(settle('C-v', withInput(C, 0, 6, () => 2n ** 65n)), 'ValueOutOfRange')).args).toEqual([0n, 2n ** 65n, C.publicInputs[0]![7]!]);
    // The id of a settled batch, with proofs that would otherwise pass every check before verification.
    expect((await rawRefused(settleData('X', C), 'BatchAlreadySettled')).args).toEqual([batchId('X')]);

    expect(await chainState()).toEqual(at(P[3]!, 1800n));
    for (const id of ['gap', 'domain', 'empty', 'C-3', 'C-v']) expect(await getSettledBatch(client, addrs.DrexSettlement, batchId(id))).toBeNull();
  });

  it('checks the policy: a batch proven under another minter id (MinterMismatch) or a limit above the policy\'s (LimitExceeded) is refused once the policy changed', async () => {
    const C = proved.C;
    const admin = clientFor(chain.url, chain.adminKey);
    // A policy counts once active and after the previous one's grace (one delay each): then only it is accepted.
    const setPolicy = async (m: bigint, l: bigint) => {
      const data = encodeFunctionData({ abi: drexSettlementAbi, functionName: 'schedulePolicy', args: [m, l] });
      const { receipt } = await sendTransaction(admin, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'schedulePolicy' });
      expect(receipt.status).toBe('success');
      await chain.increaseTime(2 * Number(POLICY_DELAY));
    };
    const { minter, complianceLimit } = f.policy;
    await setPolicy(minter + 1n, complianceLimit);
    expect((await refused(settle('C', C), 'MinterMismatch')).args).toEqual([0n, minter]);
    await setPolicy(minter, complianceLimit - 1n);
    expect((await refused(settle('C', C), 'LimitExceeded')).args).toEqual([0n, complianceLimit]);
    await setPolicy(minter, complianceLimit);
    expect(await chainState()).toEqual(at(P[3]!, 1800n));
  });

  it('settles exactly once when the chain endpoint is down as settlement starts and comes back', async () => {
    const C = proved.C;
    await chain.stopHttp();
    const pending = settle('C', C);
    await new Promise((r) => setTimeout(r, 1_500));
    await chain.startHttp();
    const r = await pending;
    expect(r).toMatchObject({ alreadySettled: false, after: point(P[4]!), transfers: 2, minted: 50n, aggregationRoot: aggregationRootOf(C) });
    expect(await chainState()).toEqual(at(P[4]!, 1850n));
    expect(await batchSettledLogs('C')).toHaveLength(1);
  });

  it('per-proof verification names the bad proof (InvalidProof), changing nothing', async () => {
    const D = proved.D;
    const tampered = { ...D, proofs: [D.proofs[0]!, D.proofs[0]!] };
    expect((await refused(settle('D', tampered, { mode: 'per-proof' }), 'InvalidProof')).args).toEqual([1n]);
    expect(await chainState()).toEqual(at(P[4]!, 1850n));
  });

  it('a gas limit too low for the verification reverts InsufficientGas (not InvalidBatchProof); with ample gas bad proofs stay InvalidBatchProof', async () => {
    const D = proved.D;
    const data = encodeSettleBatch({ batchId: batchId('D'), ...D });
    const enough = await estimateTransactionGas(client, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'estimate settleBatch D' });
    // Enough for every check before the verification, short of the pairing call (5 pairs, ~215,000 gas):
    // the transaction is mined and reverts, and the replay names the error.
    const low = enough - 150_000n;
    const e = await refused(settle('D', D, { gas: low }), 'InsufficientGas');
    expect(e.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(e.retryable).toBe(true);
    expect((await client.public.getTransactionReceipt({ hash: e.txHash! })).gasUsed).toBeLessThan(low);
    expect(await chainState()).toEqual(at(P[4]!, 1850n));
    // The verifier alone: true with the gas it needs, InsufficientGas (its ABI) without.
    const verifyData = encodeFunctionData({ abi: batchVerifierAbi, functionName: 'verify', args: [D.proofs, D.publicInputs as never] });
    const verified = await client.public.call({ to: addrs.BatchVerifier, data: verifyData, gas: 1_000_000n });
    expect(BigInt(verified.data!)).toBe(1n);
    const short = await client.public.call({ to: addrs.BatchVerifier, data: verifyData, gas: 200_000n }).catch((err: unknown) => err);
    expect(decodeRevert(batchVerifierAbi, short)?.errorName).toBe('InsufficientGas');
    // With ample gas, a precompile call that fails means bad input: swapped proofs, a point off the curve.
    const swapped = { ...D, proofs: [D.proofs[1]!, D.proofs[0]!] };
    expect((await refused(settle('D-swapped', swapped, { gas: 2n * enough }), 'InvalidBatchProof')).retryable).toBe(false);
    const offCurve = { ...D, proofs: D.proofs.map((p, i) => (i === 1 ? ([p[0] + 1n, ...p.slice(1)] as unknown as SolidityProof) : p)) };
    await refused(settle('D-off-curve', offCurve, { gas: 2n * enough }), 'InvalidBatchProof');
    expect(await chainState()).toEqual(at(P[4]!, 1850n));
  });

  it('settles exactly once when the answer to the broadcast is lost (the same signed tx is re-sent, never a second one)', async () => {
    const D = proved.D;
    const proxy = await startDroppingProxy(chain.url, 'eth_sendRawTransaction');
    try {
      const viaProxy = clientFor(proxy.url, chain.accounts[0]!);
      const nonceBefore = await client.public.getTransactionCount({ address: client.account.address });
      const r = await settle('D', D, {}, viaProxy);
      expect(proxy.dropped()).toBe(1);
      expect(r).toMatchObject({ alreadySettled: false, after: point(P[5]!), transfers: 3, aggregationRoot: aggregationRootOf(D) });
      expect(await client.public.getTransactionCount({ address: client.account.address })).toBe(nonceBefore + 1);
      expect(await chainState()).toEqual(at(P[5]!, 1850n));
    } finally {
      await proxy.close();
    }
  });
});
