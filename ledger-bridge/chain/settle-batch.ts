import { encodeFunctionData, isHex, parseEventLogs, size, type Address, type Hex } from 'viem';
import type { SolidityProof } from '../../protocol/groth16-encoding.ts';
import type { ChainClient } from './chain-client.ts';
import { ContractRevertedError, SettlementInputError, SettlementRevertedError, TransactionNotConfirmedError } from './errors.ts';
import { findSettlement, recordOf, type SettlementRecord } from './read-settlement.ts';
import { revertOf, sendTransaction } from './send-transaction.ts';
import { drexSettlementAbi } from './settlement-abi.ts';
import { TRANSFER_PUBLIC_INPUTS } from '../../protocol/transfer-public-inputs.ts';

/** `batch`: one batched pairing check (settleBatch); `per-proof`: the snarkjs verifier per proof (settleBatchPerProof). */
export type VerificationMode = 'batch' | 'per-proof';

/** The 11 public signals of one proof, in circuit order (TRANSFER_PUBLIC_INPUTS). */
export type TransferPublicInputs = readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

export interface SettleBatchParams {
  /** The DrexSettlement contract. */
  address: Address;
  /** bytes32 id; settling the same id twice is refused on chain (BatchAlreadySettled). */
  batchId: Hex;
  proofs: readonly SolidityProof[];
  publicInputs: readonly (readonly bigint[])[];
  mode?: VerificationMode;
  /** Gas limit; estimated (+20%) when omitted. */
  gas?: bigint;
}

export interface SettlementResult extends SettlementRecord {
  /** Gas used by the settling transaction (the earlier one when `alreadySettled`). */
  gasUsed: bigint;
  /** True when the batch was found settled (by an earlier attempt or submitter) and this call sent nothing new. */
  alreadySettled: boolean;
}

const UINT256_MAX = (1n << 256n) - 1n;
/** Restarts of the whole submission when a sent transaction was superseded or never mined. */
const SUBMIT_ATTEMPTS = 3;

function checkBatch(p: SettleBatchParams): void {
  if (!isHex(p.batchId) || size(p.batchId) !== 32) throw new SettlementInputError(`batchId must be 32 bytes of hex, got ${p.batchId}`);
  if (p.proofs.length === 0) throw new SettlementInputError('a batch needs at least one proof');
  if (p.proofs.length !== p.publicInputs.length) {
    throw new SettlementInputError(`${p.proofs.length} proofs but ${p.publicInputs.length} public-input lists`);
  }
  const inRange = (x: unknown) => typeof x === 'bigint' && x >= 0n && x <= UINT256_MAX;
  p.proofs.forEach((pr, i) => {
    if (pr.length !== 8 || !pr.every(inRange)) throw new SettlementInputError(`proof ${i} must be 8 uint256 values`);
  });
  p.publicInputs.forEach((x, i) => {
    if (x.length !== TRANSFER_PUBLIC_INPUTS.count || !x.every(inRange)) throw new SettlementInputError(`public inputs ${i} must be ${TRANSFER_PUBLIC_INPUTS.count} uint256 values`);
  });
}

/** The calldata of settleBatch / settleBatchPerProof. */
export function encodeSettleBatch(p: Pick<SettleBatchParams, 'batchId' | 'proofs' | 'publicInputs' | 'mode'>): Hex {
  return encodeFunctionData({
    abi: drexSettlementAbi,
    functionName: p.mode === 'per-proof' ? 'settleBatchPerProof' : 'settleBatch',
    args: [p.batchId, p.proofs as readonly SolidityProof[], p.publicInputs as readonly TransferPublicInputs[]],
  });
}

async function alreadySettled(client: ChainClient, record: SettlementRecord): Promise<SettlementResult> {
  const receipt = await client.public.getTransactionReceipt({ hash: record.txHash }).catch(() => null);
  return { ...record, gasUsed: receipt?.gasUsed ?? 0n, alreadySettled: true };
}

/**
 * Settles a batch on DrexSettlement, idempotently: it first reads `settledBatch(batchId)` and returns the
 * recorded settlement if there is one; otherwise it sends ONE locally signed transaction (re-broadcast
 * unchanged on network errors) and waits for it. A `BatchAlreadySettled` revert (an earlier attempt of
 * ours, or another submitter, won) counts as success and returns the original transaction and block.
 * Other reverts throw `SettlementRevertedError` with the contract error's name and arguments.
 */
export async function settleBatch(client: ChainClient, p: SettleBatchParams): Promise<SettlementResult> {
  checkBatch(p);
  const what = `${p.mode === 'per-proof' ? 'settleBatchPerProof' : 'settleBatch'} ${p.batchId}`;
  const data = encodeSettleBatch(p);
  for (let attempt = 1; attempt <= SUBMIT_ATTEMPTS; attempt++) {
    const existing = await findSettlement(client, p.address, p.batchId);
    if (existing) return alreadySettled(client, existing);
    let mined;
    try {
      mined = await sendTransaction(client, { to: p.address, data, abi: drexSettlementAbi, what, gas: p.gas });
    } catch (err) {
      if (err instanceof ContractRevertedError) {
        if (err.errorName === 'BatchAlreadySettled') continue; // settled meanwhile: read it back
        throw new SettlementRevertedError(what, err.errorName, err.args);
      }
      if (err instanceof TransactionNotConfirmedError && attempt < SUBMIT_ATTEMPTS) continue;
      throw err;
    }
    const { hash, receipt } = mined;
    if (receipt.status === 'reverted') {
      const rev = await revertOf(client, drexSettlementAbi, receipt, { hash, to: p.address, data });
      if (rev.errorName === 'BatchAlreadySettled') continue;
      throw new SettlementRevertedError(what, rev.errorName, rev.args, hash);
    }
    const [log] = parseEventLogs({ abi: drexSettlementAbi, eventName: 'BatchSettled', logs: receipt.logs });
    if (!log) throw new Error(`internal: ${what} succeeded in tx ${hash} without a BatchSettled event`);
    return { ...recordOf(p.batchId, log.args, receipt.blockNumber, hash), gasUsed: receipt.gasUsed, alreadySettled: false };
  }
  const existing = await findSettlement(client, p.address, p.batchId);
  if (existing) return alreadySettled(client, existing);
  throw new TransactionNotConfirmedError(`${what}: no transaction settled the batch after ${SUBMIT_ATTEMPTS} submissions`, '0x');
}
