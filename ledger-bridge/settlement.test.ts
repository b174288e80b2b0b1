// DrexSettlement with real Groth16 proofs on the embedded EVM, through its JSON-RPC URL.
// The tests run in order on one chain: each refusal must leave the chain as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFunctionData, parseEventLogs, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { funded, type Funded } from '../circuits/model/test-fixtures.ts';
import { planTransfers, type TransferPlan } from '../circuits/model/plan-transfers.ts';
import { FIELD_ORDER } from '../circuits/model/crypto.ts';
import { loadProverArtifacts } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import type { SolidityProof } from '../protocol/groth16-encoding.ts';
import { compileContracts } from './build/compile-contracts.ts';
import { createChainClient, type ChainClient } from './chain/chain-client.ts';
import { deploySettlement, type SettlementAddresses } from './chain/deploy-settlement.ts';
import { startEmbeddedChain, type EmbeddedChain } from './chain/embedded-chain.ts';
import { SettlementRevertedError } from './chain/errors.ts';
import { findSettlement, getCurrentRoot, getSettledBatch, isIntentUsed, isNullifierSpent } from './chain/read-settlement.ts';
import { encodeSettleBatch, settleBatch, type SettleBatchParams } from './chain/settle-batch.ts';
import { estimateTransactionGas, sendTransaction } from './chain/send-transaction.ts';
import { decodeRevert } from './chain/decode-revert.ts';
import { batchVerifierAbi, drexSettlementAbi } from './chain/settlement-abi.ts';
import { aggregationRootOf, provePlan, type ProvedBatch } from './test-support/prove-plan.ts';
import { transferCycle } from './test-support/transfer-cycle.ts';
import { startDroppingProxy } from './test-support/dropping-proxy.ts';

const batchId = (label: string): Hex => toHex(`batch:${label}`, { size: 32 });
const POLICY_DELAY = 3_600n;

let chain: EmbeddedChain;
let client: ChainClient;
let addrs: SettlementAddresses;
let f: Funded;
const plans: Record<'A' | 'doubleSpend' | 'replay' | 'C' | 'D' | 'E', TransferPlan> = {} as never;
const proved: Record<keyof typeof plans, ProvedBatch> = {} as never;

function clientFor(url: string, key: Hex): ChainClient {
  return createChainClient({ url, privateKey: key, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 50, retry: { attempts: 12, initialDelayMs: 100, maxDelayMs: 1_000 } });
}

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

const settle = (id: Hex, b: ProvedBatch, extra: Partial<SettleBatchParams> = {}, c: ChainClient = client) =>
  settleBatch(c, { address: addrs.DrexSettlement, batchId: id, proofs: b.proofs, publicInputs: b.publicInputs, ...extra });

beforeAll(async () => {
  const artifacts = await ensureArtifacts();
  const contracts = await compileContracts({ artifacts });
  chain = await startEmbeddedChain();
  client = clientFor(chain.url, chain.accounts[0]!);
  f = await funded();
  const s = f.state;
  const intentsA = transferCycle(f, 16);
  plans.A = planTransfers(f.crypto, s, f.policy, intentsA);
  const cp = s.checkpoint();
  // A double spend: re-spend the first note that batch A spent, from the tree at A's last root.
  const spentNote = plans.A.transfers[0]!.spent[0]!;
  s.addNote(spentNote);
  s.spentNullifiers.delete(plans.A.transfers[0]!.public.nullifiers[0]);
  plans.doubleSpend = planTransfers(f.crypto, s, f.policy, [{ signed: f.intent(f.alice, f.bob.owner, 5n), spend: [spentNote.commitment] }]);
  s.restore(cp);
  // A replay: a new intent of alice's under the nonce of her first intent in A.
  s.usedIntents.delete(plans.A.transfers[0]!.public.intentNullifier);
  plans.replay = planTransfers(f.crypto, s, f.policy, [{ signed: f.intent(f.alice, f.bob.owner, 7n, intentsA[0]!.signed.intent.nonce) }]);
  s.restore(cp);
  // C: a deposit by the minter and a transfer; D: three transfers (an odd aggregation tree).
  plans.C = planTransfers(f.crypto, s, f.policy, [{ signed: f.intent(f.minter, f.carol.owner, 50n) }, ...transferCycle(f, 1)]);
  plans.D = planTransfers(f.crypto, s, f.policy, transferCycle(f, 3));
  // E: two transfers after D, for the gas-limit test.
  plans.E = planTransfers(f.crypto, s, f.policy, transferCycle(f, 2));
  const prover = loadProverArtifacts(artifacts);
  for (const k of Object.keys(plans) as (keyof typeof plans)[]) proved[k] = await provePlan(prover, plans[k]);
  await releaseSnarkjs();
  addrs = await deploySettlement(client, {
    contracts,
    initialRoot: plans.A.roots[0]!,
    minterId: f.policy.minter,
    complianceLimit: f.policy.complianceLimit,
    admin: privateKeyToAccount(chain.adminKey).address,
    policyDelaySeconds: POLICY_DELAY,
  });
}, 600_000);

afterAll(async () => {
  await chain?.stop();
});

/** The chain's state must equal "only what was settled so far". */
async function expectUnchanged(root: bigint, probe: { nullifier: bigint; intent: bigint }): Promise<void> {
  expect(await getCurrentRoot(client, addrs.DrexSettlement)).toBe(root);
  expect(await isNullifierSpent(client, addrs.DrexSettlement, probe.nullifier)).toBe(false);
  expect(await isIntentUsed(client, addrs.DrexSettlement, probe.intent)).toBe(false);
}

describe('DrexSettlement on the embedded EVM (real proofs)', () => {
  it('refuses a batch of 16 with a tampered proof or a tampered public input, changing nothing', async () => {
    const A = proved.A;
    const root0 = plans.A.roots[0]!;
    const probe = { nullifier: A.publicInputs[9]![2]!, intent: A.publicInputs[9]![10]! };
    const swapped = { ...A, proofs: A.proofs.map((p, i) => (i === 5 ? A.proofs[6]! : p)) };
    await refused(settle(batchId('A-bad-proof'), swapped), 'InvalidBatchProof');
    const offCurve = { ...A, proofs: A.proofs.map((p, i) => (i === 11 ? ([p[0] + 1n, ...p.slice(1)] as unknown as SolidityProof) : p)) };
    await refused(settle(batchId('A-off-curve'), offCurve), 'InvalidBatchProof');
    const tamperedInput = { ...A, publicInputs: A.publicInputs.map((x, i) => (i === 7 ? x.map((v, j) => (j === 5 ? v + 1n : v)) : x)) };
    await refused(settle(batchId('A-bad-input'), tamperedInput), 'InvalidBatchProof');
    // A nullifier + r is the same field element to the pairing, but not to the spent set: refused.
    const aliased = { ...A, publicInputs: A.publicInputs.map((x, i) => (i === 3 ? x.map((v, j) => (j === 2 ? v + FIELD_ORDER : v)) : x)) };
    await refused(settle(batchId('A-aliased'), aliased), 'InvalidBatchProof');
    await expectUnchanged(root0, probe);
    expect(await getSettledBatch(client, addrs.DrexSettlement, batchId('A-bad-proof'))).toBeNull();
  });

  it('settles a batch of 16: moves the root to the planner last root, records nullifiers and intents, emits the aggregation root', async () => {
    const A = proved.A;
    const r = await settle(batchId('A'), A);
    expect(r.alreadySettled).toBe(false);
    expect(r.transfers).toBe(16);
    expect(r.rootBefore).toBe(plans.A.roots[0]);
    expect(r.rootAfter).toBe(plans.A.roots[16]);
    expect(r.aggregationRoot).toBe(aggregationRootOf(A));
    expect(await getCurrentRoot(client, addrs.DrexSettlement)).toBe(plans.A.roots[16]);
    for (const x of A.publicInputs) {
      expect(await isNullifierSpent(client, addrs.DrexSettlement, x[2]!)).toBe(true);
      expect(await isNullifierSpent(client, addrs.DrexSettlement, x[3]!)).toBe(true);
      expect(await isIntentUsed(client, addrs.DrexSettlement, x[10]!)).toBe(true);
    }
    expect(await getSettledBatch(client, addrs.DrexSettlement, batchId('A'))).toEqual({ aggregationRoot: r.aggregationRoot, blockNumber: r.blockNumber });
    const receipt = await client.public.getTransactionReceipt({ hash: r.txHash });
    const events = parseEventLogs({ abi: drexSettlementAbi, eventName: 'BatchSettled', logs: receipt.logs });
    expect(events).toHaveLength(1);
    expect(events[0]!.args).toMatchObject({ batchId: batchId('A'), aggregationRoot: aggregationRootOf(A), transfers: 16n });
  });

  it('refuses the same batch id again (BatchAlreadySettled; the client returns the original settlement) and a root chain not at the current root', async () => {
    const A = proved.A;
    const root = plans.A.roots[16]!;
    const first = await findSettlement(client, addrs.DrexSettlement, batchId('A'));
    // The contract itself refuses a second settlement of the id, even sent blindly (fixed gas, no estimate).
    const data = encodeFunctionData({ abi: drexSettlementAbi, functionName: 'settleBatch', args: [batchId('A'), A.proofs, A.publicInputs as never] });
    const blind = await sendTransaction(client, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'blind resend', gas: 10_000_000n });
    expect(blind.receipt.status).toBe('reverted');
    // The client is idempotent: it reports the original transaction and sends nothing.
    const again = await settle(batchId('A'), A);
    expect(again).toMatchObject({ alreadySettled: true, txHash: first!.txHash, blockNumber: first!.blockNumber, aggregationRoot: first!.aggregationRoot });
    // Same transfers under a new id: the chain of roots starts at the old root. Mined with fixed gas, decoded from the receipt.
    const e = await refused(settle(batchId('A-again'), A, { gas: 10_000_000n }), 'RootMismatch');
    expect(e.args).toEqual([0n, root, plans.A.roots[0]]);
    expect(e.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await getCurrentRoot(client, addrs.DrexSettlement)).toBe(root);
    const logs = await client.public.getLogs({ address: addrs.DrexSettlement, event: drexSettlementAbi.find((x) => x.type === 'event' && x.name === 'BatchSettled') as never, fromBlock: 0n });
    expect(logs).toHaveLength(1);
  });

  it('refuses a spent nullifier (NullifierSpent) and a replayed intent (IntentReplayed) in a new batch', async () => {
    const root = plans.A.roots[16]!;
    const ds = proved.doubleSpend;
    expect(ds.publicInputs[0]![0]).toBe(root);
    const e1 = await refused(settle(batchId('double-spend'), ds), 'NullifierSpent');
    expect(e1.args).toEqual([proved.A.publicInputs[0]![2]]);
    const rp = proved.replay;
    const e2 = await refused(settle(batchId('replay'), rp), 'IntentReplayed');
    expect(e2.args).toEqual([proved.A.publicInputs[0]![10]]);
    await expectUnchanged(root, { nullifier: rp.publicInputs[0]![2]!, intent: proved.C.publicInputs[0]![10]! });
    expect(await isNullifierSpent(client, addrs.DrexSettlement, ds.publicInputs[0]![3]!)).toBe(false);
  });

  it('checks roles and policy: MissingRole, ValueBalanceNotAllowed without the minter role, MinterMismatch, LimitExceeded', async () => {
    const C = proved.C;
    const root = plans.A.roots[16]!;
    const other = clientFor(chain.url, chain.accounts[1]!);
    const adminClient = clientFor(chain.url, chain.adminKey);
    await refused(settle(batchId('C'), C, {}, other), 'MissingRole');
    const settlerRole = await client.public.readContract({ address: addrs.DrexSettlement, abi: drexSettlementAbi, functionName: 'SETTLER_ROLE' });
    const admin = async (data: Hex) => {
      const { receipt } = await sendTransaction(adminClient, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'admin' });
      expect(receipt.status).toBe('success');
    };
    await admin(encodeFunctionData({ abi: drexSettlementAbi, functionName: 'grantRole', args: [settlerRole, other.account.address as Address] }));
    const e = await refused(settle(batchId('C'), C, {}, other), 'ValueBalanceNotAllowed');
    expect(e.args).toEqual([0n]);
    // A policy counts once active and after the previous one's grace (one delay each): then only it is accepted.
    const { minter, complianceLimit } = f.policy;
    const setPolicy = async (m: bigint, l: bigint) => {
      await admin(encodeFunctionData({ abi: drexSettlementAbi, functionName: 'schedulePolicy', args: [m, l] }));
      await chain.increaseTime(2 * Number(POLICY_DELAY));
    };
    await setPolicy(minter + 1n, complianceLimit);
    expect((await refused(settle(batchId('C'), C), 'MinterMismatch')).args).toEqual([0n, minter]);
    await setPolicy(minter, complianceLimit - 1n);
    expect((await refused(settle(batchId('C'), C), 'LimitExceeded')).args).toEqual([0n, complianceLimit]);
    await setPolicy(minter, complianceLimit);
    await expectUnchanged(root, { nullifier: C.publicInputs[1]![2]!, intent: C.publicInputs[0]![10]! });
  });

  it('settles exactly once when the chain endpoint is down as settlement starts and comes back', async () => {
    const C = proved.C;
    await chain.stopHttp();
    const pending = settle(batchId('C'), C);
    await new Promise((r) => setTimeout(r, 1_500));
    await chain.startHttp();
    const r = await pending;
    expect(r.alreadySettled).toBe(false);
    expect(r.rootAfter).toBe(plans.C.roots[2]);
    expect(r.aggregationRoot).toBe(aggregationRootOf(C));
    expect(await getCurrentRoot(client, addrs.DrexSettlement)).toBe(plans.C.roots[2]);
    const logs = await client.public.getLogs({ address: addrs.DrexSettlement, event: drexSettlementAbi.find((x) => x.type === 'event' && x.name === 'BatchSettled') as never, args: { batchId: batchId('C') } as never, fromBlock: 0n });
    expect(logs).toHaveLength(1);
  });

  it('per-proof verification names the bad proof (InvalidProof), changing nothing', async () => {
    const D = proved.D;
    const tampered = { ...D, proofs: D.proofs.map((p, i) => (i === 2 ? D.proofs[0]! : p)) };
    const e = await refused(settle(batchId('D'), tampered, { mode: 'per-proof' }), 'InvalidProof');
    expect(e.args).toEqual([2n]);
    await expectUnchanged(plans.C.roots[2]!, { nullifier: D.publicInputs[0]![2]!, intent: D.publicInputs[2]![10]! });
  });

  it('settles exactly once when the answer to the broadcast is lost (the same signed tx is re-sent, never a second one)', async () => {
    const D = proved.D;
    const proxy = await startDroppingProxy(chain.url, 'eth_sendRawTransaction');
    try {
      const viaProxy = clientFor(proxy.url, chain.accounts[0]!);
      const nonceBefore = await client.public.getTransactionCount({ address: client.account.address });
      const r = await settle(batchId('D'), D, { mode: 'per-proof' }, viaProxy);
      expect(proxy.dropped()).toBe(1);
      expect(r.alreadySettled).toBe(false);
      expect(r.rootAfter).toBe(plans.D.roots[3]);
      expect(r.aggregationRoot).toBe(aggregationRootOf(D));
      expect(await client.public.getTransactionCount({ address: client.account.address })).toBe(nonceBefore + 1);
    } finally {
      await proxy.close();
    }
  });

  it('a gas limit too low for the verification reverts InsufficientGas (not InvalidBatchProof); with enough gas the same batch settles; bad proofs stay InvalidBatchProof', async () => {
    const E = proved.E;
    const root = plans.D.roots[3]!;
    const probe = { nullifier: E.publicInputs[0]![2]!, intent: E.publicInputs[1]![10]! };
    const data = encodeSettleBatch({ batchId: batchId('E'), ...E });
    const enough = await estimateTransactionGas(client, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'estimate settleBatch E' });
    // Enough for every check before the verification (~180,000 gas for 2 transfers), short of the pairing
    // call (5 pairs, ~215,000 gas): the transaction is mined and reverts, and the replay names the error.
    const low = enough - 150_000n;
    const e = await refused(settle(batchId('E'), E, { gas: low }), 'InsufficientGas');
    expect(e.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(e.retryable).toBe(true);
    expect((await client.public.getTransactionReceipt({ hash: e.txHash! })).gasUsed).toBeLessThan(low);
    await expectUnchanged(root, probe);
    // The verifier alone: true with the gas it needs, InsufficientGas (its ABI) without.
    const verifyData = encodeFunctionData({ abi: batchVerifierAbi, functionName: 'verify', args: [E.proofs, E.publicInputs as never] });
    const verified = await client.public.call({ to: addrs.BatchVerifier, data: verifyData, gas: 1_000_000n });
    expect(BigInt(verified.data!)).toBe(1n);
    const short = await client.public.call({ to: addrs.BatchVerifier, data: verifyData, gas: 200_000n }).catch((err: unknown) => err);
    expect(decodeRevert(batchVerifierAbi, short)?.errorName).toBe('InsufficientGas');
    // With ample gas, a precompile call that fails means bad input: swapped proofs, a point off the curve.
    const swapped = { ...E, proofs: [E.proofs[1]!, E.proofs[0]!] };
    expect((await refused(settle(batchId('E-swapped'), swapped, { gas: 2n * enough }), 'InvalidBatchProof')).retryable).toBe(false);
    const offCurve = { ...E, proofs: E.proofs.map((p, i) => (i === 1 ? ([p[0] + 1n, ...p.slice(1)] as unknown as SolidityProof) : p)) };
    await refused(settle(batchId('E-off-curve'), offCurve, { gas: 2n * enough }), 'InvalidBatchProof');
    await expectUnchanged(root, probe);
    // The same batch with enough gas (the estimate + 20%) settles.
    const r = await settle(batchId('E'), E);
    expect(r.alreadySettled).toBe(false);
    expect(r.rootAfter).toBe(plans.E.roots[2]);
    expect(r.gasUsed).toBeLessThanOrEqual(enough);
  });
});
