import type { Address, Hex } from 'viem';
import { createChainReader, findSettlement, getCurrentRoot, isIntentUsed } from '../../ledger-bridge/index.ts';

/** What the chain says about the submitted batches. */
export interface ChainFindings {
  /** Intents (of those given) whose intent nullifier is used on chain. */
  settledIntents: number;
  /** Transfers in each batch's BatchSettled record (0 when the batch id never settled). */
  settledPerBatch: number[];
  currentRoot: bigint;
}

/**
 * Reads the settlement contract: which of the intent nullifiers are used, each batch's BatchSettled
 * record, and the current note-tree root.
 */
export async function readChain(o: { rpc: string; settlement: Address; batchIds: string[]; nullifiers: bigint[] }): Promise<ChainFindings> {
  const chain = createChainReader({ url: o.rpc });
  let settledIntents = 0;
  for (const n of o.nullifiers) if (await isIntentUsed(chain, o.settlement, n)) settledIntents++;
  const settledPerBatch: number[] = [];
  for (const id of o.batchIds) settledPerBatch.push((await findSettlement(chain, o.settlement, id as Hex))?.transfers ?? 0);
  return { settledIntents, settledPerBatch, currentRoot: await getCurrentRoot(chain, o.settlement) };
}
