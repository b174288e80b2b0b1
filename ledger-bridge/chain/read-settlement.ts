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
