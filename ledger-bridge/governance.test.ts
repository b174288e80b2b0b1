// DrexSettlement's roles, delayed policy changes, supply accounting and the bridge's start check, with
// real proofs of the k-transfer circuit (k = 2, depth 8, nullifier-set depth 8) on the embedded EVM. The
// tests run in order on one chain.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFunctionData, getAddress, parseEventLogs, toHex, zeroAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureArtifacts, type Artifacts } from '../circuits/ceremony/setup.ts';
import { Ledger, type LedgerPoint } from '../circuits/model/ledger.ts';
import { planBatches, type BatchParams, type BatchPlan, type PlanItem } from '../circuits/model/plan-batches.ts';
import { fundedLedger, type FundedLedger } from '../circuits/model/test-fixtures.ts';
import type { TransferPolicy } from '../circuits/model/policy.ts';
import { loadProverArtifacts } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { verificationKeyHash, type Groth16VerificationKey } from './build/batch-verifier-source.ts';
import { compileContracts, type CompiledContracts } from './build/compile-contracts.ts';
import { createChainClient, createChainReader, type ChainClient } from './chain/chain-client.ts';
import { checkLedger } from './chain/check-ledger.ts';
import { deployContract, deploySettlement, ledgerStateAt, type SettlementAddresses } from './chain/deploy-settlement.ts';
import { startEmbeddedChain, type EmbeddedChain } from './chain/embedded-chain.ts';
import { ContractRevertedError, DeploymentError, LedgerMismatchError, SettlementRevertedError } from './chain/errors.ts';
import { findSettlement, getPolicies, getTotalSupply } from './chain/read-settlement.ts';
import { sendTransaction } from './chain/send-transaction.ts';
import { settleBatch } from './chain/settle-batch.ts';
import { drexSettlementAbi } from './chain/settlement-abi.ts';
import { nextDeployment } from './test-support/next-deployment.ts';
import { provePlan, type ProvedBatch } from './test-support/prove-plan.ts';
import { transferCycle } from './test-support/transfer-cycle.ts';

const SHAPE = { k: 2, depth: 8, nullDepth: 8 };
const POLICY_DELAY = 3_600;
/** Value in the notes of the funded fixture (alice 1000 + 300, bob 500) before the chain starts. */
const INITIAL_SUPPLY = 1_800n;
const batchId = (label: string): Hex => toHex(`gov:${label}`, { size: 32 });

let artifacts: Artifacts;
let contracts: CompiledContracts;
let chain: EmbeddedChain;
let settler: ChainClient;
let admin: ChainClient;
let addrs: SettlementAddresses;
/** A deployment whose supply (10) is less than the withdrawal S2poor burns. */
let poor: SettlementAddresses;
let f: FundedLedger;
let policy2: TransferPolicy;
/** Where the chain starts: the funded ledger. */
let start: LedgerPoint;
const plans: Record<'S1' | 'S2' | 'S2poor' | 'Q' | 'P2' | 'P3' | 'P4' | 'P5', BatchPlan> = {} as never;
const proved: Record<keyof typeof plans, ProvedBatch> = {} as never;

const clientFor = (key: Hex): ChainClient =>
  createChainClient({ url: chain.url, privateKey: key, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 50, retry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 500 } });
const settle = (label: string, b: ProvedBatch, address = addrs.DrexSettlement) =>
  settleBatch(settler, { address, batchId: batchId(label), proofs: b.proofs, publicInputs: b.publicInputs });
const read = <F extends 'minterId' | 'hasRole' | 'ADMIN_ROLE' | 'SETTLER_ROLE' | 'MINTER_ROLE'>(functionName: F, args?: readonly unknown[]) =>
  settler.public.readContract({ address: addrs.DrexSettlement, abi: drexSettlementAbi, functionName, args } as never) as Promise<never>;

/** Sends a DrexSettlement call from `from`; returns the receipt (it must succeed). */
async function call(from: ChainClient, data: Hex) {
  const { receipt } = await sendTransaction(from, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'call' });
  expect(receipt.status).toBe('success');
  return receipt;
}

async function rejected<E extends Error>(p: Promise<unknown>, type: new (...a: never[]) => E): Promise<E> {
  const err = await p.then(
    () => {
      throw new Error(`expected ${type.name}, but it succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

async function reverted(p: Promise<unknown>, errorName: string): Promise<ContractRevertedError> {
  const e = await rejected(p, ContractRevertedError);
  expect(e.errorName).toBe(errorName);
  return e;
}

async function blockTime(): Promise<bigint> {
  return (await settler.public.getBlock()).timestamp;
}

beforeAll(async () => {
  artifacts = await ensureArtifacts({ circuit: { circuit: 'transfer-batch', ...SHAPE } });
  contracts = await compileContracts({ artifacts });
  chain = await startEmbeddedChain();
  settler = clientFor(chain.accounts[0]!);
  admin = clientFor(chain.adminKey);
  // The intents sign the settlement's domain, so its address is fixed first: the verifiers, then the
  // settlement (the deployer's next creation) and the poor one (the one after).
  const verifiers = {
    Groth16Verifier: (await deployContract(settler, 'Groth16Verifier', contracts.contracts.Groth16Verifier)).address,
    BatchVerifier: (await deployContract(settler, 'BatchVerifier', contracts.contracts.BatchVerifier)).address,
  };
  const [main, poorAt] = [await nextDeployment(settler, 0), await nextDeployment(settler, 1)];
  f = await fundedLedger(SHAPE, { domain: main.domain });
  const { crypto: c, ledger, params, minter } = f;
  const plan = (l: Ledger, items: PlanItem[], p: BatchParams = params) => planBatches(c, l, p, items);
  start = ledger.point;
  // The second policy names another minter id and a lower limit.
  policy2 = { minter: f.bob.owner, complianceLimit: 500_000n };
  // S1: two deposits (mint 80); S2: the minter withdraws its 30 (burn 30); S2poor: the same withdrawal
  // on the poor deployment.
  plans.S1 = plan(ledger, [{ signed: f.intent(minter, f.carol.owner, 50n) }, { signed: f.intent(minter, minter.owner, 30n) }]);
  const beforeS2 = ledger.toSnapshot();
  const pointBeforeS2 = ledger.point;
  plans.S2poor = plan(Ledger.fromSnapshot(c, beforeS2), [{ signed: f.intent(minter, 0n, 30n, { domain: poorAt.domain }) }], { ...params, domain: poorAt.domain });
  plans.S2 = plan(ledger, [{ signed: f.intent(minter, 0n, 30n) }]);
  // Q: proven under the second policy at the point after S2, where P2 (first policy) also starts.
  plans.Q = plan(Ledger.fromSnapshot(c, ledger.toSnapshot()), transferCycle(f, 1), { ...params, policy: policy2 });
  plans.P2 = plan(ledger, transferCycle(f, 1));
  plans.P3 = plan(ledger, transferCycle(f, 1));
  plans.P4 = plan(ledger, transferCycle(f, 1), { ...params, policy: policy2 });
  plans.P5 = plan(ledger, transferCycle(f, 1));
  const prover = loadProverArtifacts(artifacts);
  for (const k of Object.keys(plans) as (keyof typeof plans)[]) proved[k] = await provePlan(prover, plans[k]);
  await releaseSnarkjs();
  const common = { contracts, transfersPerProof: SHAPE.k, minterId: f.policy.minter, complianceLimit: f.policy.complianceLimit, admin: admin.account.address, verifiers };
  addrs = await deploySettlement(settler, { ...common, initial: ledgerStateAt(start, INITIAL_SUPPLY), policyDelaySeconds: BigInt(POLICY_DELAY) });
  poor = await deploySettlement(settler, { ...common, initial: ledgerStateAt(pointBeforeS2, 10n) });
  expect([addrs.DrexSettlement, poor.DrexSettlement].map((a) => getAddress(a))).toEqual([main.address, poorAt.address]);
}, 900_000);

afterAll(async () => {
  await chain?.stop();
});

describe('DrexSettlement governance on the embedded EVM (real proofs)', () => {
  it('keeps the admin apart from the settler and minter: the deployer-settler holds no admin role, the settler cannot change policy or roles', async () => {
    const [adminRole, settlerRole, minterRole] = await Promise.all([read('ADMIN_ROLE'), read('SETTLER_ROLE'), read('MINTER_ROLE')]);
    const has = (r: Hex, a: Address) => read('hasRole', [r, a]) as Promise<boolean>;
    const s = settler.account.address;
    const a = admin.account.address;
    expect([await has(adminRole, s), await has(settlerRole, s), await has(minterRole, s)]).toEqual([false, true, true]);
    expect([await has(adminRole, a), await has(settlerRole, a), await has(minterRole, a)]).toEqual([true, false, false]);
    // The settler cannot schedule a policy nor grant itself the admin role.
    const schedule = encodeFunctionData({ abi: drexSettlementAbi, functionName: 'schedulePolicy', args: [f.policy.minter, 1n] });
    expect((await reverted(sendTransaction(settler, { to: addrs.DrexSettlement, data: schedule, abi: drexSettlementAbi, what: 'schedulePolicy' }), 'MissingRole')).args).toEqual([adminRole, s]);
    const grantSelf = encodeFunctionData({ abi: drexSettlementAbi, functionName: 'grantRole', args: [adminRole, s] });
    await reverted(sendTransaction(settler, { to: addrs.DrexSettlement, data: grantSelf, abi: drexSettlementAbi, what: 'grantRole' }), 'MissingRole');
    // Not even the admin can give one account both sides.
    for (const [role, account] of [
      [settlerRole, a],
      [minterRole, a],
      [adminRole, s],
    ] as const) {
      const data = encodeFunctionData({ abi: drexSettlementAbi, functionName: 'grantRole', args: [role, account] });
      expect((await reverted(sendTransaction(admin, { to: addrs.DrexSettlement, data, abi: drexSettlementAbi, what: 'grantRole' }), 'RoleConflict')).args).toEqual([role, account]);
    }
    expect(await has(adminRole, s)).toBe(false);
    // The admin cannot grant a role to the zero address.
    const toZero = encodeFunctionData({ abi: drexSettlementAbi, functionName: 'grantRole', args: [settlerRole, zeroAddress] });
    await reverted(sendTransaction(admin, { to: addrs.DrexSettlement, data: toZero, abi: drexSettlementAbi, what: 'grantRole' }), 'ZeroAddress');
    // The deploy refuses an admin that settles and a k below 1, before sending anything; the constructor
    // refuses them too, and a missing verifier and a zero policy delay.
    const nonce = await settler.public.getTransactionCount({ address: s });
    const common = { contracts, initial: ledgerStateAt(start), transfersPerProof: SHAPE.k, minterId: 1n, complianceLimit: 1n, verifiers: addrs };
    await rejected(deploySettlement(settler, { ...common, admin: s }), DeploymentError);
    await rejected(deploySettlement(settler, { ...common, admin: a, transfersPerProof: 0 }), DeploymentError);
    expect(await settler.public.getTransactionCount({ address: s })).toBe(nonce);
    const initial = { noteRoot: 1n, nullRoot: 1n, noteIndex: 0n, supply: 0n };
    const construct = (o: { k?: bigint; settlers?: Address[]; minters?: Address[]; batchVerifier?: Address } = {}) =>
      deployContract(settler, 'DrexSettlement', contracts.contracts.DrexSettlement, [
        initial, 1n, 1n, 60n, o.batchVerifier ?? addrs.BatchVerifier, addrs.Groth16Verifier, o.k ?? 2n, a, o.settlers ?? [s], o.minters ?? [s],
      ]);
    expect((await reverted(construct({ minters: [a] }), 'RoleConflict')).args).toEqual([minterRole, a]);
    expect((await reverted(construct({ k: 0n }), 'InvalidTransfersPerProof')).args).toEqual([0n]);
    expect((await reverted(construct({ k: 1025n }), 'InvalidTransfersPerProof')).args).toEqual([1025n]);
    await reverted(construct({ batchVerifier: zeroAddress }), 'ZeroAddress');
    await reverted(deploySettlement(settler, { ...common, admin: a, policyDelaySeconds: 0n }), 'PolicyDelayZero');
  });

  it('moves totalSupply by each batch\'s mint and burn, reports them in BatchSettled, and refuses a burn below zero (SupplyUnderflow)', async () => {
    expect(await getTotalSupply(settler, addrs.DrexSettlement)).toBe(INITIAL_SUPPLY);
    const r1 = await settle('S1', proved.S1);
    expect([r1.minted, r1.burned]).toEqual([80n, 0n]);
    const logs = parseEventLogs({ abi: drexSettlementAbi, eventName: 'BatchSettled', logs: (await settler.public.getTransactionReceipt({ hash: r1.txHash })).logs });
    expect(logs.map((l) => [l.args.minted, l.args.burned])).toEqual([[80n, 0n]]);
    expect(await getTotalSupply(settler, addrs.DrexSettlement)).toBe(INITIAL_SUPPLY + 80n);
    // The same withdrawal on a ledger whose supply is 10 would take the supply below zero.
    const under = await rejected(settle('S2-poor', proved.S2poor, poor.DrexSettlement), SettlementRevertedError);
    expect([under.errorName, under.args]).toEqual(['SupplyUnderflow', [10n, 30n]]);
    expect(await getTotalSupply(settler, poor.DrexSettlement)).toBe(10n);
    const r2 = await settle('S2', proved.S2);
    expect([r2.minted, r2.burned]).toEqual([0n, 30n]);
    expect(await getTotalSupply(settler, addrs.DrexSettlement)).toBe(INITIAL_SUPPLY + 80n - 30n);
    // The chain reader returns the same record.
    expect(await findSettlement(settler, addrs.DrexSettlement, batchId('S2'))).toMatchObject({ txHash: r2.txHash, minted: 0n, burned: 30n, transfers: 1 });
  });

  it('a scheduled policy is not active before its delay (a batch proven under it is refused) and is active after', async () => {
    const receipt = await call(admin, encodeFunctionData({ abi: drexSettlementAbi, functionName: 'schedulePolicy', args: [policy2.minter, policy2.complianceLimit] }));
    const scheduledAt = (await settler.public.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
    const activatesAt = scheduledAt + BigInt(POLICY_DELAY);
    const [ev] = parseEventLogs({ abi: drexSettlementAbi, eventName: 'PolicyScheduled', logs: receipt.logs });
    expect(ev!.args).toEqual({ minterId: policy2.minter, complianceLimit: policy2.complianceLimit, activatesAt });
    expect(await getPolicies(settler, addrs.DrexSettlement)).toEqual({
      current: { minterId: f.policy.minter, complianceLimit: f.policy.complianceLimit },
      previous: null,
      pending: { minterId: policy2.minter, complianceLimit: policy2.complianceLimit, activatesAt },
    });
    // Pending: a batch proven under the new policy is refused, one under the current policy settles.
    const q = await rejected(settle('Q', proved.Q), SettlementRevertedError);
    expect([q.errorName, q.args]).toEqual(['MinterMismatch', [0n, policy2.minter]]);
    await settle('P2', proved.P2);
    await chain.increaseTime(POLICY_DELAY / 2);
    expect(await blockTime()).toBeLessThan(activatesAt);
    expect(await read('minterId')).toBe(f.policy.minter);
    await chain.increaseTime(POLICY_DELAY / 2);
    expect(await blockTime()).toBeGreaterThanOrEqual(activatesAt);
    expect(await getPolicies(settler, addrs.DrexSettlement)).toEqual({
      current: { minterId: policy2.minter, complianceLimit: policy2.complianceLimit },
      previous: { minterId: f.policy.minter, complianceLimit: f.policy.complianceLimit, acceptedUntil: activatesAt + BigInt(POLICY_DELAY) },
      pending: null,
    });
  });

  it('a batch proven under the old policy still settles after the change, until the old policy\'s grace ends', async () => {
    const { previous } = await getPolicies(settler, addrs.DrexSettlement);
    // P3 was proven under the first policy: it settles, and its transaction records the activation.
    const r3 = await settle('P3', proved.P3);
    const [activated] = parseEventLogs({ abi: drexSettlementAbi, eventName: 'PolicyActivated', logs: (await settler.public.getTransactionReceipt({ hash: r3.txHash })).logs });
    expect(activated!.args).toMatchObject({ minterId: policy2.minter, complianceLimit: policy2.complianceLimit, previousAcceptedUntil: previous!.acceptedUntil });
    // A batch under the new policy settles after it.
    await settle('P4', proved.P4);
    // Past the grace, only the new policy is accepted.
    await chain.increaseTime(POLICY_DELAY);
    expect((await getPolicies(settler, addrs.DrexSettlement)).previous).toBeNull();
    const e = await rejected(settle('P5', proved.P5), SettlementRevertedError);
    expect([e.errorName, e.args]).toEqual(['MinterMismatch', [0n, f.policy.minter]]);
    expect(await findSettlement(settler, addrs.DrexSettlement, batchId('P5'))).toBeNull();
  });

  it('the start check accepts the configured ledger and names a wrong chain id, a missing contract, another contract, another k and a verifier of another key', async () => {
    const reader = createChainReader({ url: chain.url, retry: { attempts: 2, initialDelayMs: 50, maxDelayMs: 100 } });
    const vk = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as Groth16VerificationKey;
    const facts = await checkLedger(reader, { chainId: chain.chainId, settlement: addrs.DrexSettlement, verificationKey: vk, transfersPerProof: SHAPE.k });
    expect(facts).toEqual({
      chainId: chain.chainId,
      batchVerifier: getAddress(addrs.BatchVerifier),
      verificationKeyHash: verificationKeyHash(vk),
      domain: f.params.domain,
      transfersPerProof: SHAPE.k,
    });
    const wrongK = await rejected(checkLedger(reader, { chainId: chain.chainId, settlement: addrs.DrexSettlement, verificationKey: vk, transfersPerProof: 8 }), LedgerMismatchError);
    expect(wrongK.differences).toEqual([`the contract settles proofs of 2 transfers (configured 8)`]);

    const wrongChain = await rejected(checkLedger(reader, { chainId: chain.chainId + 1, settlement: addrs.DrexSettlement, verificationKey: vk }), LedgerMismatchError);
    expect(wrongChain.code).toBe('LEDGER_MISMATCH');
    expect(wrongChain.differences).toEqual([`chain id ${chain.chainId} (configured ${chain.chainId + 1})`]);
    const noContract = await rejected(checkLedger(reader, { chainId: chain.chainId, settlement: privateKeyToAccount(chain.adminKey).address }), LedgerMismatchError);
    expect(noContract.message).toMatch(/no contract at the settlement address/);
    const notSettlement = await rejected(checkLedger(reader, { chainId: chain.chainId, settlement: addrs.BatchVerifier }), LedgerMismatchError);
    expect(notSettlement.differences[0]).toMatch(/is not a DrexSettlement/);

    // A settlement contract whose batch verifier was built from another key (delta replaced by gamma).
    const otherVk: Groth16VerificationKey = { ...vk, vk_delta_2: vk.vk_gamma_2 };
    const dir = mkdtempSync(join(tmpdir(), 'drex-other-vkey-'));
    writeFileSync(join(dir, 'verification_key.json'), JSON.stringify(otherVk));
    const other = await compileContracts({ artifacts: { vkey: join(dir, 'verification_key.json'), solidityVerifier: artifacts.solidityVerifier } });
    const otherVerifier = getAddress((await deployContract(settler, 'BatchVerifier', other.contracts.BatchVerifier)).address);
    const misbuilt = await deploySettlement(settler, {
      contracts,
      initial: ledgerStateAt(start),
      transfersPerProof: SHAPE.k,
      minterId: f.policy.minter,
      complianceLimit: f.policy.complianceLimit,
      admin: admin.account.address,
      verifiers: { Groth16Verifier: addrs.Groth16Verifier, BatchVerifier: otherVerifier },
    });
    const wrongKey = await rejected(checkLedger(reader, { chainId: chain.chainId, settlement: misbuilt.DrexSettlement, verificationKey: vk }), LedgerMismatchError);
    expect(wrongKey.differences).toEqual([
      `the batch verifier at ${otherVerifier} was built from verification key ${verificationKeyHash(otherVk)}, not the loaded one ${verificationKeyHash(vk)}`,
    ]);
    // Both differences at once.
    expect((await rejected(checkLedger(reader, { chainId: 1, settlement: misbuilt.DrexSettlement, verificationKey: vk }), LedgerMismatchError)).differences).toHaveLength(2);
    // The verifier's hash is that of the key it was built from.
    expect((await checkLedger(reader, { chainId: chain.chainId, settlement: misbuilt.DrexSettlement, verificationKey: otherVk })).verificationKeyHash).toBe(verificationKeyHash(otherVk));
  }, 120_000);
});
