import type { Address, Hex } from 'viem';
import type { ChainPoint } from '../../protocol/ledger-point.ts';
import { createChainReader, findSettlement, getLedgerPoint } from '../../ledger-bridge/index.ts';

/** What the chain says about the submitted batches. */
export interface ChainFindings {
  /** Transfers in each batch's BatchSettled record (0 when the batch id never settled). */
  settledPerBatch: number[];
  /** The contract's ledger point after everything settled. */
  point: ChainPoint;
  /** The note tree's current root (`point.noteRoot`). */
  currentRoot: bigint;
}

/**
 * Reads the settlement contract: each batch's BatchSettled record and the current ledger point. The
 * chain keeps no per-intent record: the circuit's nullifier set settles every intent once, and the
 * transfers of each batch's record count what was applied.
 */
export async function readChain(o: { rpc: string; settlement: Address; batchIds: string[] }): Promise<ChainFindings> {
  const chain = createChainReader({ url: o.rpc });
  const settledPerBatch: number[] = [];
  for (const id of o.batchIds) settledPerBatch.push((await findSettlement(chain, o.settlement, id as Hex))?.transfers ?? 0);
  const point = await getLedgerPoint(chain, o.settlement);
  return { settledPerBatch, point, currentRoot: point.noteRoot };
}
