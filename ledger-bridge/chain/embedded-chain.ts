import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHardhatRuntimeEnvironment } from 'hardhat/hre';
import { keccak256, toHex, type Hex } from 'viem';
import { serveJsonRpc, type JsonRpcServer, type RequestProvider } from './json-rpc-server.ts';
import { devAdminKey, devPrivateKey } from './dev-keys.ts';

export { devAdminKey, devPrivateKey } from './dev-keys.ts';

export interface EmbeddedChainOptions {
  /** Port on 127.0.0.1; 0 or omitted picks a free one. */
  port?: number;
  /** Default 1337. */
  chainId?: number;
  /** EDR hardfork; default 'shanghai' (the deploy/besu genesis enables London and Shanghai). */
  hardfork?: string;
  /** Number of funded dev accounts; default 4. */
  accounts?: number;
  /** Block gas limit; default 100M (base fee stays 0 while blocks use at most half of it). */
  blockGasLimit?: bigint;
}

/** An in-process EVM (Hardhat 3 EDR) behind a standard JSON-RPC HTTP endpoint on 127.0.0.1. */
export interface EmbeddedChain {
  url: string;
  port: number;
  chainId: number;
  /** Private keys of the funded dev accounts (sign locally; the node has no unlocked accounts in use). */
  accounts: Hex[];
  /**
   * Key of the funded dev admin account, kept apart from `accounts` (the settler is `accounts[0]`): the
   * settlement contract's admin must not be its settler.
   */
  adminKey: Hex;
  /** The in-process EIP-1193 provider (bypasses HTTP). */
  provider: RequestProvider;
  /** Takes the HTTP front down; the EVM state stays in memory. */
  stopHttp(): Promise<void>;
  /** Brings the HTTP front back on the same port. */
  startHttp(): Promise<void>;
  /** Moves the chain's clock `seconds` forward and mines a block at the new time. */
  increaseTime(seconds: number): Promise<void>;
  /** Stops the HTTP front and the EVM. */
  stop(): Promise<void>;
}


const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Starts the embedded default chain: an EDR EVM with zero base fee and funded dev accounts, served as
 * JSON-RPC on `http://127.0.0.1:<port>`, so that the same client code talks to it and to Besu.
 * Transactions are mined at once; a reverted transaction is mined with status 0 (as on a real node).
 */
export async function startEmbeddedChain(opts: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
  const chainId = opts.chainId ?? 1337;
  const accounts = Array.from({ length: opts.accounts ?? 4 }, (_, i) => devPrivateKey(i));
  const adminKey = devAdminKey();
  const hre = await createHardhatRuntimeEnvironment(
    {
      networks: {
        embedded: {
          type: 'edr-simulated',
          chainId,
          hardfork: opts.hardfork ?? 'shanghai',
          initialBaseFeePerGas: 0,
          minGasPrice: 0,
          blockGasLimit: opts.blockGasLimit ?? 100_000_000n,
          accounts: [...accounts, adminKey].map((privateKey) => ({ privateKey, balance: 10n ** 24n })),
          throwOnTransactionFailures: false,
          throwOnCallFailures: true,
          loggingEnabled: false,
        },
      },
    },
    {},
    PROJECT_ROOT,
  );
  const connection = await hre.network.connect({ network: 'embedded' });
  const provider: RequestProvider = connection.provider;
  let server: JsonRpcServer | undefined = await serveJsonRpc(provider, { port: opts.port ?? 0 });
  const port = server.port;
  const stopHttp = async () => {
    const s = server;
    server = undefined;
    await s?.close();
  };
  return {
    url: server.url,
    port,
    chainId,
    accounts,
    adminKey,
    provider,
    stopHttp,
    async increaseTime(seconds) {
      await provider.request({ method: 'evm_increaseTime', params: [seconds] });
      await provider.request({ method: 'evm_mine', params: [] });
    },
    async startHttp() {
      if (!server) server = await serveJsonRpc(provider, { port });
    },
    async stop() {
      await stopHttp();
      await connection.close();
    },
  };
}
