import { setTimeout as sleep } from 'node:timers/promises';
import { keccak256, TransactionReceiptNotFoundError, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import type { ChainClient } from './chain-client.ts';
import { decodeRevert, decodeRevertData, type DecodedRevert } from './decode-revert.ts';
import { ContractRevertedError, TransactionNotConfirmedError } from './errors.ts';
import { isNetworkError, withRetry } from './retry.ts';

export interface SendTransactionParams {
  /** Contract to call; omitted for a deployment (then `data` is the creation code). */
  to?: Address;
  data: Hex;
  /** ABI that decodes this call's custom errors. */
  abi: Abi;
  /** What this is, for error messages (e.g. `settleBatch 0x12..`). */
  what: string;
  /** Gas limit; estimated (+20%) when omitted. */
  gas?: bigint;
}

/** A mined transaction (status success or reverted). */
export interface MinedTransaction {
  hash: Hex;
  receipt: TransactionReceipt;
}

const NODE_ALREADY_HAS_IT = /already known|known transaction|nonce too low|replacement transaction underpriced|already imported/i;

/** Estimates the gas of a call; a revert is thrown as a `ContractRevertedError` naming the custom error. */
export async function estimateTransactionGas(client: ChainClient, p: Omit<SendTransactionParams, 'gas'>): Promise<bigint> {
  try {
    return await withRetry(`estimate ${p.what}`, () => client.public.estimateGas({ account: client.account, to: p.to, data: p.data }), client.retry);
  } catch (err) {
    const rev = decodeRevert(p.abi, err);
    if (rev) throw new ContractRevertedError(p.what, rev.errorName, rev.args);
    throw err;
  }
}

/** Why a mined transaction reverted: Besu's `revertReason` receipt field, else a replay at the parent block. */
export async function revertOf(client: ChainClient, abi: Abi, receipt: TransactionReceipt, p: { hash: Hex; to?: Address; data: Hex }): Promise<DecodedRevert> {
  const besuReason = (receipt as { revertReason?: unknown }).revertReason;
  if (typeof besuReason === 'string' && /^0x[0-9a-fA-F]{8}/.test(besuReason)) return decodeRevertData(abi, besuReason as Hex);
  try {
    const tx = await withRetry('eth_getTransactionByHash', () => client.public.getTransaction({ hash: p.hash }), client.retry);
    await withRetry('replay reverted tx', () =>
      client.public.call({ account: client.account, to: p.to, data: p.data, gas: tx.gas, blockNumber: receipt.blockNumber - 1n }),
    client.retry);
  } catch (err) {
    const rev = decodeRevert(abi, err);
    if (rev) return rev;
  }
  return { errorName: 'Unknown', args: [] };
}

async function pollReceipt(client: ChainClient, hash: Hex, nonce: number, what: string): Promise<TransactionReceipt> {
  const deadline = Date.now() + client.confirmTimeoutMs;
  let missesAfterNonceMoved = 0;
  for (;;) {
    try {
      return await client.public.getTransactionReceipt({ hash });
    } catch (err) {
      if (!(err instanceof TransactionReceiptNotFoundError) && !isNetworkError(err)) throw err;
      if (err instanceof TransactionReceiptNotFoundError) {
        // Our nonce was used by another transaction: this one will never be mined.
        const mined = await client.public.getTransactionCount({ address: client.account.address, blockTag: 'latest' }).catch(() => -1);
        if (mined > nonce && ++missesAfterNonceMoved >= 3) {
          throw new TransactionNotConfirmedError(`${what}: tx ${hash} was superseded (nonce ${nonce} used by another transaction)`, hash);
        }
      }
    }
    if (Date.now() > deadline) throw new TransactionNotConfirmedError(`${what}: tx ${hash} not mined within ${client.confirmTimeoutMs} ms`, hash);
    await sleep(client.pollingIntervalMs);
  }
}

/**
 * Sends one transaction, signed locally ONCE (legacy type, fixed or node gas price), and waits for its
 * receipt. Network errors while broadcasting re-send the same signed bytes (same hash, so the node can
 * never apply it twice); network errors while waiting keep polling. A revert found by the estimate is
 * thrown before anything is sent; a mined revert is returned (status 'reverted') for the caller to decode.
 */
export async function sendTransaction(client: ChainClient, p: SendTransactionParams): Promise<MinedTransaction> {
  const gas = p.gas ?? ((await estimateTransactionGas(client, p)) * 12n) / 10n;
  const [chainId, nonce, gasPrice] = await Promise.all([
    client.chainId(),
    withRetry('eth_getTransactionCount', () => client.public.getTransactionCount({ address: client.account.address, blockTag: 'pending' }), client.retry),
    client.gasPrice !== undefined ? Promise.resolve(client.gasPrice) : withRetry('eth_gasPrice', () => client.public.getGasPrice(), client.retry),
  ]);
  const raw = await client.account.signTransaction({ type: 'legacy', chainId, nonce, to: p.to ?? null, data: p.data, gas, gasPrice });
  const hash = keccak256(raw);
  try {
    await withRetry(`broadcast ${p.what}`, () => client.public.sendRawTransaction({ serializedTransaction: raw }), client.retry);
  } catch (err) {
    // The node has it already (an earlier broadcast got through): wait for it like any other.
    if (!NODE_ALREADY_HAS_IT.test((err as Error).message ?? '')) throw err;
  }
  const receipt = await pollReceipt(client, hash, nonce, p.what);
  return { hash, receipt };
}
