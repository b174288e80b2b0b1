import { parseEventLogs, type Address, type Hex } from 'viem';
import type { ChainPoint } from '../../protocol/ledger-point.ts';
import type { ChainReader } from './chain-client.ts';
import { withRetry } from './retry.ts';
import { drexSettlementAbi } from './settlement-abi.ts';

/** A settled batch as the chain records it (its BatchSettled event). */
export interface SettlementRecord {
  batchId: Hex;
  /** The full 32 bytes, from the event (the contract's record keeps the first 24). */
  aggregationRoot: Hex;
  blockNumber: bigint;
  txHash: Hex;
  /** The note root the batch started at. */
  noteRootBefore: bigint;
  /** The ledger point the batch ended at. */
  after: ChainPoint;
  /** The batch's summed `transfers` public inputs. */
  transfers: number;
  /** The batch's summed valueIn public inputs (deposits): what it added to totalSupply. */
  minted: bigint;
  /** The batch's summed valueOut public inputs (withdrawals): what it took from totalSupply. */
  burned: bigint;
}

const read = <T>(client: ChainReader, what: string, fn: () => Promise<T>) => withRetry(what, fn, client.retry);

/** The contract's ledger point (note root, next note index, nullifier-set state), all read at one block. */
export async function getLedgerPoint(client: ChainReader, address: Address): Promise<ChainPoint> {
  // Not viem's cached block number: a point read right after a settlement must include it.
  const blockNumber = await read(client, 'eth_blockNumber', () => client.public.getBlockNumber({ cacheTime: 0 }));
  const at = <F extends 'noteRoot' | 'nextNoteIndex' | 'nullifierRoot'>(functionName: F) =>
    read(client, functionName, () => client.public.readContract({ address, abi: drexSettlementAbi, functionName, blockNumber }));
  const [noteRoot, noteIndex, nullRoot] = await Promise.all([at('noteRoot'), at('nextNoteIndex'), at('nullifierRoot')]);
  return { noteRoot, noteIndex, nullRoot };
}

/** The deployment's domain, signed in every intent it settles. */
export function getDomain(client: ChainReader, address: Address): Promise<bigint> {
  return read(client, 'domain', () => client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'domain' }));
}

/**
 * The contract's record of a settled batch: the aggregation root's first 24 bytes and the block; null
 * when it was never settled.
 */
export async function getSettledBatch(client: ChainReader, address: Address, batchId: Hex): Promise<{ aggregationRootPrefix: Hex; blockNumber: bigint } | null> {
  const [aggregationRootPrefix, blockNumber] = await read(client, 'settledBatch', () =>
    client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'settledBatch', args: [batchId] }),
  );
  return blockNumber === 0n ? null : { aggregationRootPrefix, blockNumber };
}

const batchSettledEvent = drexSettlementAbi.find((x) => x.type === 'event' && x.name === 'BatchSettled') as Extract<(typeof drexSettlementAbi)[number], { name: 'BatchSettled' }>;

/** A settled batch with its BatchSettled event (transaction, ledger points), or null when it was never settled. */
export async function findSettlement(client: ChainReader, address: Address, batchId: Hex): Promise<SettlementRecord | null> {
  const settled = await getSettledBatch(client, address, batchId);
  if (!settled) return null;
  const logs = await read(client, 'eth_getLogs BatchSettled', () =>
    client.public.getLogs({ address, event: batchSettledEvent, args: { batchId }, fromBlock: settled.blockNumber, toBlock: settled.blockNumber }),
  );
  const [log] = parseEventLogs({ abi: drexSettlementAbi, eventName: 'BatchSettled', logs });
  if (!log) throw new Error(`internal: batch ${batchId} is settled at block ${settled.blockNumber} but its BatchSettled event is missing`);
  if (!log.args.aggregationRoot.startsWith(settled.aggregationRootPrefix)) {
    throw new Error(`internal: batch ${batchId}'s BatchSettled aggregation root ${log.args.aggregationRoot} does not start with the recorded ${settled.aggregationRootPrefix}`);
  }
  return recordOf(batchId, log.args, settled.blockNumber, log.transactionHash);
}

/** A SettlementRecord from a BatchSettled event's arguments. */
export function recordOf(
  batchId: Hex,
  ev: { aggregationRoot: Hex; noteRootBefore: bigint; noteRootAfter: bigint; nullRootAfter: bigint; noteIndexAfter: bigint; transfers: bigint; minted: bigint; burned: bigint },
  blockNumber: bigint,
  txHash: Hex,
): SettlementRecord {
  return {
    batchId,
    aggregationRoot: ev.aggregationRoot,
    blockNumber,
    txHash,
    noteRootBefore: ev.noteRootBefore,
    after: { noteRoot: ev.noteRootAfter, noteIndex: ev.noteIndexAfter, nullRoot: ev.nullRootAfter },
    transfers: Number(ev.transfers),
    minted: ev.minted,
    burned: ev.burned,
  };
}

/** The settlement contract's total supply (initial supply + minted - burned). */
export function getTotalSupply(client: ChainReader, address: Address): Promise<bigint> {
  return read(client, 'totalSupply', () => client.public.readContract({ address, abi: drexSettlementAbi, functionName: 'totalSupply' }));
}

/** A settlement policy: the minter id proofs must name and the largest compliance limit accepted. */
export interface SettlementPolicy {
  minterId: bigint;
  complianceLimit: bigint;
}

/** The policies the contract accepts now, and the one scheduled (see SettlementBase's NatSpec). */
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
  noteRootBefore: bigint;
  after: ChainPoint;
  transfers: number;
}

/**
 * How the chain's record of a batch id differs from its plan (a list of differences; empty when the
 * record is this plan's settlement). The points bind the content: the note root after commits to every
 * note the batch appended, the nullifier state to every nullifier and intent it used.
 */
export function settlementDifferences(record: SettlementRecord, expected: ExpectedSettlement): string[] {
  const out: string[] = [];
  if (record.noteRootBefore !== expected.noteRootBefore) out.push(`note root before ${record.noteRootBefore} (planned ${expected.noteRootBefore})`);
  const a = record.after;
  const e = expected.after;
  if (a.noteRoot !== e.noteRoot) out.push(`note root after ${a.noteRoot} (planned ${e.noteRoot})`);
  if (a.noteIndex !== e.noteIndex) out.push(`next note index after ${a.noteIndex} (planned ${e.noteIndex})`);
  if (a.nullRoot !== e.nullRoot) out.push(`nullifier state after ${a.nullRoot} (planned ${e.nullRoot})`);
  if (record.transfers !== expected.transfers) out.push(`${record.transfers} transfers (planned ${expected.transfers})`);
  return out;
}
