import type { Address, Hex } from 'viem';
import { verificationKeyHash, type Groth16VerificationKey } from '../build/batch-verifier-source.ts';
import type { ChainReader } from './chain-client.ts';
import { ChainUnavailableError, LedgerMismatchError } from './errors.ts';
import { withRetry } from './retry.ts';
import { batchVerifierAbi, drexSettlementAbi } from './settlement-abi.ts';

/** What a process was configured to settle on. */
export interface LedgerExpectation {
  /** The chain id it was configured for (`--chain-id`). */
  chainId: number;
  /** The DrexSettlement contract. */
  settlement: Address;
  /**
   * The verification key (snarkjs JSON) this process verifies proofs with; the settlement contract's
   * batch verifier must have been built from it. Omitted: only checked to answer `verificationKeyHash()`.
   */
  verificationKey?: Groth16VerificationKey;
  /** k of the circuit this process plans or proves for; the contract's `transfersPerProof()` must equal it. */
  transfersPerProof?: number;
}

/** What the check found on chain. */
export interface LedgerFacts {
  chainId: number;
  batchVerifier: Address;
  /** The batch verifier's `verificationKeyHash()`. */
  verificationKeyHash: Hex;
  /** The deployment's domain, signed in every intent it settles. */
  domain: bigint;
  /** k: transfers per proof of the circuit the contract settles. */
  transfersPerProof: number;
}

const short = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err));

/**
 * Checks, before a process acts on a ledger, that it reached the one it was configured for: the chain id,
 * a DrexSettlement at the settlement address (with `transfersPerProof`, settling proofs of that k), and
 * (with `verificationKey`) a batch verifier whose `verificationKeyHash()` is the hash of that key. Throws
 * `LedgerMismatchError` naming every difference; an unreachable chain throws `ChainUnavailableError`
 * (retryable) after the reader's retry policy.
 */
export async function checkLedger(reader: ChainReader, e: LedgerExpectation): Promise<LedgerFacts> {
  const read = <T>(what: string, fn: () => Promise<T>) => withRetry(what, fn, reader.retry);
  const differences: string[] = [];
  const chainId = await read('eth_chainId', () => reader.public.getChainId());
  if (chainId !== e.chainId) differences.push(`chain id ${chainId} (configured ${e.chainId})`);
  const code = await read('eth_getCode', () => reader.public.getCode({ address: e.settlement }));
  if (!code || code === '0x') {
    differences.push(`no contract at the settlement address ${e.settlement}`);
    throw new LedgerMismatchError(differences);
  }
  let batchVerifier: Address;
  try {
    batchVerifier = await read('batchVerifier', () => reader.public.readContract({ address: e.settlement, abi: drexSettlementAbi, functionName: 'batchVerifier' }));
  } catch (err) {
    if (err instanceof ChainUnavailableError) throw err;
    differences.push(`the contract at ${e.settlement} is not a DrexSettlement (batchVerifier(): ${short(err)})`);
    throw new LedgerMismatchError(differences, { cause: err });
  }
  let domain: bigint;
  let k: bigint;
  try {
    [domain, k] = await Promise.all([
      read('domain', () => reader.public.readContract({ address: e.settlement, abi: drexSettlementAbi, functionName: 'domain' })),
      read('transfersPerProof', () => reader.public.readContract({ address: e.settlement, abi: drexSettlementAbi, functionName: 'transfersPerProof' })),
    ]);
  } catch (err) {
    if (err instanceof ChainUnavailableError) throw err;
    differences.push(`the contract at ${e.settlement} is not a DrexSettlement of the k-transfer circuit (domain(), transfersPerProof(): ${short(err)})`);
    throw new LedgerMismatchError(differences, { cause: err });
  }
  const transfersPerProof = Number(k);
  if (e.transfersPerProof !== undefined && transfersPerProof !== e.transfersPerProof) {
    differences.push(`the contract settles proofs of ${transfersPerProof} transfers (configured ${e.transfersPerProof})`);
  }
  let onChain: Hex;
  try {
    onChain = await read('verificationKeyHash', () => reader.public.readContract({ address: batchVerifier, abi: batchVerifierAbi, functionName: 'verificationKeyHash' }));
  } catch (err) {
    if (err instanceof ChainUnavailableError) throw err;
    differences.push(`the batch verifier at ${batchVerifier} does not answer verificationKeyHash() (${short(err)})`);
    throw new LedgerMismatchError(differences, { cause: err });
  }
  if (e.verificationKey) {
    const expected = verificationKeyHash(e.verificationKey);
    if (onChain !== expected) differences.push(`the batch verifier at ${batchVerifier} was built from verification key ${onChain}, not the loaded one ${expected}`);
  }
  if (differences.length > 0) throw new LedgerMismatchError(differences);
  return { chainId, batchVerifier, verificationKeyHash: onChain, domain, transfersPerProof };
}
