import { decodeFunctionData, type Address, type Hex } from 'viem';
import { drexSettlementAbi, findSettlement, type ChainReader, type SettlementRecord } from '../../ledger-bridge/client.ts';
import type { SolidityProof } from '../../protocol/groth16-encoding.ts';

/** The arguments the settling transaction passed to the settlement contract. */
export interface SettleCall {
  functionName: 'settleBatch' | 'settleBatchPerProof';
  /** The transaction's `to`. */
  to: Address | null;
  batchId: Hex;
  proofs: SolidityProof[];
  publicInputs: bigint[][];
}

/** What the chain holds for a batch id: its settlement record and the settling call, or why the call could not be read. */
export interface SettledOnChain {
  record: SettlementRecord;
  call: SettleCall | { problem: string };
}

/**
 * Reads a settled batch back from the chain: its record (settledBatch and the BatchSettled event) and
 * the settling transaction's calldata, decoded with the settlement ABI. Null when the chain holds no
 * settlement under the id. A transaction that did not call the contract directly (e.g. through another
 * contract) answers a `problem` for the call.
 */
export async function readSettledOnChain(chain: ChainReader, settlement: Address, batchId: Hex): Promise<SettledOnChain | null> {
  const record = await findSettlement(chain, settlement, batchId);
  if (!record) return null;
  const tx = await chain.public.getTransaction({ hash: record.txHash });
  try {
    const d = decodeFunctionData({ abi: drexSettlementAbi, data: tx.input });
    if (d.functionName !== 'settleBatch' && d.functionName !== 'settleBatchPerProof') return { record, call: { problem: `the settling transaction calls ${d.functionName}, not settleBatch` } };
    const [id, proofs, publicInputs] = d.args;
    return {
      record,
      call: { functionName: d.functionName, to: tx.to ?? null, batchId: id, proofs: proofs.map((p) => [...p] as unknown as SolidityProof), publicInputs: publicInputs.map((x) => [...x]) },
    };
  } catch (err) {
    return { record, call: { problem: `the settling transaction's calldata is not a settlement call: ${(err as Error).message.split('\n')[0]}` } };
  }
}
