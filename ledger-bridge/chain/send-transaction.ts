import { setTimeout as sleep } from 'node:timers/promises';
import { keccak256, TransactionNotFoundError, TransactionReceiptNotFoundError, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { withAccountLock } from './account-lock.ts';
import type { ChainClient } from './chain-client.ts';
import { decodeRevert, decodeRevertData, type DecodedRevert } from './decode-revert.ts';
import { ContractRevertedError, NonceConflictError, TransactionNotConfirmedError } from './errors.ts';
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

/** The node holds these exact bytes already (an earlier broadcast of ours got through). */
const NODE_HAS_THESE_BYTES = /already known|known transaction|already imported/i;
/** The nonce is taken: by these bytes (an earlier broadcast got through) or by another transaction of the key. */
const NONCE_TAKEN = /nonce too low|replacement transaction underpriced/i;
/** Signings (the first included) before giving up on a nonce that other transactions keep taking. */
export const NONCE_ATTEMPTS = 5;

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
 * Broadcasts signed bytes, re-sent unchanged on network errors. Returns null when the node took them
 * (or already has them), or the node's answer when it says their nonce is taken.
 */
async function broadcast(client: ChainClient, raw: Hex, what: string): Promise<Error | null> {
  try {
    await withRetry(`broadcast ${what}`, () => client.public.sendRawTransaction({ serializedTransaction: raw }), client.retry);
    return null;
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (NODE_HAS_THESE_BYTES.test(message)) return null;
    if (NONCE_TAKEN.test(message)) return err as Error;
    throw err;
  }
}

/** Whether the node knows transaction `hash`, pending or mined. */
async function nodeKnows(client: ChainClient, hash: Hex): Promise<boolean> {
  const lookUp = (what: string, fn: () => Promise<unknown>): Promise<boolean> =>
    withRetry(what, fn, client.retry).then(
      () => true,
      (err: unknown) => {
        if (err instanceof TransactionNotFoundError || err instanceof TransactionReceiptNotFoundError) return false;
        throw err;
      },
    );
  return (
    (await lookUp('eth_getTransactionByHash', () => client.public.getTransaction({ hash }))) ||
    lookUp('eth_getTransactionReceipt', () => client.public.getTransactionReceipt({ hash }))
  );
}

/**
 * Under this process's lock on the account: reads the pending nonce, signs and broadcasts. When the node
 * says the nonce is taken and does not know our hash, another transaction of the key (another sender)
 * took it: re-sign with a fresh nonce, up to NONCE_ATTEMPTS signings.
 */
async function signAndBroadcast(client: ChainClient, p: SendTransactionParams, gas: bigint): Promise<{ hash: Hex; nonce: number }> {
  const [chainId, gasPrice] = await Promise.all([
    client.chainId(),
    client.gasPrice !== undefined ? Promise.resolve(client.gasPrice) : withRetry('eth_gasPrice', () => client.public.getGasPrice(), client.retry),
  ]);
  const { address } = client.account;
  return withAccountLock(address, async () => {
    for (let attempt = 1; ; attempt++) {
      const nonce = await withRetry('eth_getTransactionCount', () => client.public.getTransactionCount({ address, blockTag: 'pending' }), client.retry);
      const raw = await client.account.signTransaction({ type: 'legacy', chainId, nonce, to: p.to ?? null, data: p.data, gas, gasPrice });
      const hash = keccak256(raw);
      const taken = await broadcast(client, raw, p.what);
      if (!taken || (await nodeKnows(client, hash))) return { hash, nonce };
      if (attempt >= NONCE_ATTEMPTS) {
        throw new NonceConflictError(`${p.what}: the nonce of ${address} was taken by another transaction at each of ${attempt} signings (last nonce ${nonce})`, { cause: taken });
      }
    }
  });
}

/**
 * Sends one transaction, signed locally (legacy type, fixed or node gas price), and waits for its
 * receipt. Network errors while broadcasting re-send the same signed bytes (same hash, so the node can
 * never apply it twice); network errors while waiting keep polling. Senders of one key in this process
 * take turns to pick nonces; a nonce taken by another transaction is re-signed (see signAndBroadcast).
 * A revert found by the estimate is thrown before anything is sent; a mined revert is returned (status
 * 'reverted') for the caller to decode.
 */
export async function sendTransaction(client: ChainClient, p: SendTransactionParams): Promise<MinedTransaction> {
  const gas = p.gas ?? ((await estimateTransactionGas(client, p)) * 12n) / 10n;
  const { hash, nonce } = await signAndBroadcast(client, p, gas);
  const receipt = await pollReceipt(client, hash, nonce, p.what);
  return { hash, receipt };
}
