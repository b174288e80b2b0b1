import { parseEventLogs, type Address, type Hex } from 'viem';
import type { ChainReader } from './chain-client.ts';
import { withRetry } from './retry.ts';
import { drexSettlementAbi } from './settlement-abi.ts';

/** A settled batch as the chain records it. */
export interface SettlementRecord {
  batchId: Hex;
  aggregationRoot: Hex;
  blockNumber: bigint;
  txHash: Hex;
  rootBefore: bigint;
  rootAfter: bigint;
  transfers: number;
  /** The batch's summed valueIn public inputs (deposits): what it added to totalSupply. */
  minted: bigint;
  /** The batch's summed valueOut public inputs (withdrawals): what it took from totalSupply. */
  burned: bigint;
}

const read = <T>(client: ChainReader, what: string, fn: () => Promise<T>) => withRetry(what, fn, client.retry);

/** The settlement contract's current note-tree root. */
export function getCurrentRoot(client: ChainReader, address: Address): Promise<bigint> {
  return read(client, 'currentRoot', () => client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'currentRoot' }));
}

/** Whether `nullifier` was spent on chain. */
export function isNullifierSpent(client: ChainReader, address: Address, nullifier: bigint): Promise<boolean> {
  return read(client, 'isSpent', () => client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'isSpent', args: [nullifier] }));
}

/** Whether an intent nullifier was used on chain. */
export function isIntentUsed(client: ChainReader, address: Address, intentNullifier: bigint): Promise<boolean> {
  return read(client, 'isIntentUsed', () =>
    client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'isIntentUsed', args: [intentNullifier] }),
  );
}

/** The aggregation root and block of a settled batch, or null when it was never settled. */
export async function getSettledBatch(client: ChainReader, address: Address, batchId: Hex): Promise<{ aggregationRoot: Hex; blockNumber: bigint } | null> {
  const [aggregationRoot, blockNumber] = await read(client, 'settledBatch', () =>
    client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'settledBatch', args: [batchId] }),
  );
  return blockNumber === 0n ? null : { aggregationRoot, blockNumber };
}

/** A settled batch with its BatchSettled event (transaction, roots), or null when it was never settled. */
export async function findSettlement(client: ChainReader, address: Address, batchId: Hex): Promise<SettlementRecord | null> {
  const settled = await getSettledBatch(client, address, batchId);
  if (!settled) return null;
  const logs = await read(client, 'eth_getLogs BatchSettled', () =>
    client.public.getLogs({
      address,
      event: drexSettlementAbi.find((x) => x.type === 'event' && x.name === 'BatchSettled') as Extract<(typeof drexSettlementAbi)[number], { name: 'BatchSettled' }>,
      args: { batchId },
      fromBlock: settled.blockNumber,
      toBlock: settled.blockNumber,
    }),
  );
  const [log] = parseEventLogs({ abi: drexSettlementAbi, eventName: 'BatchSettled', logs });
  if (!log) throw new Error(`internal: batch ${batchId} is settled at block ${settled.blockNumber} but its BatchSettled event is missing`);
  return {
    batchId,
    aggregationRoot: log.args.aggregationRoot,
    blockNumber: settled.blockNumber,
    txHash: log.transactionHash,
    rootBefore: log.args.rootBefore,
    rootAfter: log.args.rootAfter,
    transfers: Number(log.args.transfers),
    minted: log.args.minted,
    burned: log.args.burned,
  };
}

/** The settlement contract's total supply (initial supply + minted - burned). */
export function getTotalSupply(client: ChainReader, address: Address): Promise<bigint> {
  return read(client, 'totalSupply', () => client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'totalSupply' }));
}

/** A settlement policy: the minter id transfers must name and the largest compliance limit accepted. */
export interface SettlementPolicy {
  minterId: bigint;
  complianceLimit: bigint;
}

/** The policies the contract accepts now, and the one scheduled (see DrexSettlement's NatSpec). */
export interface SettlementPolicies {
  current: SettlementPolicy;
  /** The policy the current one replaced, while it is still accepted. */
  previous: (SettlementPolicy & { acceptedUntil: bigint }) | null;
  /** A scheduled policy not active yet. */
  pending: (SettlementPolicy & { activatesAt: bigint }) | null;
}

/** Reads the current, still-accepted previous and pending policies. */
export async function getPolicies(client: ChainReader, address: Address): Promise<SettlementPolicies> {
  const call = <F extends 'minterId' | 'complianceLimit' | 'previousPolicy' | 'pendingPolicy'>(functionName: F) =>
    read(client, functionName, () => client.public.readContract({ address, abi: drexSettlementAbi, functionName }));
  const [minterId, complianceLimit, prev, pending] = await Promise.all([call('minterId'), call('complianceLimit'), call('previousPolicy'), call('pendingPolicy')]);
  return {
    current: { minterId, complianceLimit },
    previous: prev[2] === 0n ? null : { minterId: prev[0], complianceLimit: prev[1], acceptedUntil: prev[2] },
    pending: pending[2] === 0n ? null : { minterId: pending[0], complianceLimit: pending[1], activatesAt: pending[2] },
  };
}

/** What a batch's plan says its settlement must be. */
export interface ExpectedSettlement {
  rootBefore: bigint;
  rootAfter: bigint;
  transfers: number;
}

/**
 * How the chain's record of a batch id differs from its plan (a list of differences; empty when the
 * record is this plan's settlement). The roots bind the content: root_after commits to every note the
 * batch inserted, on top of root_before.
 */
export function settlementDifferences(record: SettlementRecord, expected: ExpectedSettlement): string[] {
  const out: string[] = [];
  if (record.rootBefore !== expected.rootBefore) out.push(`root_before ${record.rootBefore} (planned ${expected.rootBefore})`);
  if (record.rootAfter !== expected.rootAfter) out.push(`root_after ${record.rootAfter} (planned ${expected.rootAfter})`);
  if (record.transfers !== expected.transfers) out.push(`${record.transfers} transfers (planned ${expected.transfers})`);
  return out;
}
