import { createPublicClient, http, type Hex, type PublicClient } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.ts';

export interface ChainClientOptions {
  /** JSON-RPC URL: the embedded chain's, or a Besu node's. */
  url: string;
  /** Key of the sending account; transactions are signed locally (Besu has no unlocked accounts). */
  privateKey: Hex;
  /** Asked from the node (once) when omitted. */
  chainId?: number;
  /**
   * Fixed gas price of the legacy transactions sent, e.g. 0n on a permissioned network with zero base
   * fee and min-gas-price 0 (Besu QBFT for Drex). Default: the node's eth_gasPrice.
   */
  gasPrice?: bigint;
  retry?: RetryPolicy;
  /** Per-request HTTP timeout; default 30 s. */
  requestTimeoutMs?: number;
  /** Receipt polling interval; default 250 ms. */
  pollingIntervalMs?: number;
  /** How long to wait for a sent transaction's receipt; default 120 s. */
  confirmTimeoutMs?: number;
}

/** What every chain read takes: a read client and its retry policy. */
export interface ChainReader {
  url: string;
  public: PublicClient;
  retry: RetryPolicy;
}

/** What every chain action takes: a read client, the local signer and the sending policy. */
export interface ChainClient extends ChainReader {
  account: PrivateKeyAccount;
  gasPrice?: bigint;
  pollingIntervalMs: number;
  confirmTimeoutMs: number;
  chainId(): Promise<number>;
}

/** Creates a chain client; nothing is requested until it is used. Transport retries are ours (see retry.ts). */
export function createChainClient(opts: ChainClientOptions): ChainClient {
  const pub = createPublicClient({
    transport: http(opts.url, { retryCount: 0, timeout: opts.requestTimeoutMs ?? 30_000 }),
    pollingInterval: opts.pollingIntervalMs ?? 250,
  });
  const retry = opts.retry ?? DEFAULT_RETRY;
  let chainId: Promise<number> | undefined = opts.chainId !== undefined ? Promise.resolve(opts.chainId) : undefined;
  return {
    url: opts.url,
    public: pub,
    account: privateKeyToAccount(opts.privateKey),
    gasPrice: opts.gasPrice,
    retry,
    pollingIntervalMs: opts.pollingIntervalMs ?? 250,
    confirmTimeoutMs: opts.confirmTimeoutMs ?? 120_000,
    chainId() {
      chainId ??= withRetry('eth_chainId', () => pub.getChainId(), retry).catch((err) => {
        chainId = undefined;
        throw err;
      });
      return chainId;
    },
  };
}

/** A read-only chain client (no key): what reconciling against the chain needs. */
export function createChainReader(opts: Pick<ChainClientOptions, 'url' | 'retry' | 'requestTimeoutMs'>): ChainReader {
  return {
    url: opts.url,
    public: createPublicClient({ transport: http(opts.url, { retryCount: 0, timeout: opts.requestTimeoutMs ?? 30_000 }) }),
    retry: opts.retry ?? DEFAULT_RETRY,
  };
}
