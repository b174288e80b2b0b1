import type { Address, Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import type { CircuitSpec } from '../../circuits/build/compile.ts';
import { devMinter } from '../../circuits/sample/dev-accounts.ts';
import { DEV_COMPLIANCE_LIMIT } from '../../circuits/sample/sample-transfer.ts';
import { compileContracts, createChainClient, deploySettlement, startEmbeddedChain, type EmbeddedChain } from '../../ledger-bridge/index.ts';
import { emptyLedgerState } from '../../ledger-bridge/chain/deploy-settlement.ts';

/** The embedded dev ledger: an in-process EVM on loopback JSON-RPC with the settlement contracts deployed. */
export interface DevLedger {
  chain: EmbeddedChain;
  rpc: string;
  contracts: Record<string, Address>;
  /** Chain id of the embedded chain (what `--chain-id` must say). */
  chainId: number;
  /** Holds SETTLER_ROLE and MINTER_ROLE (the aggregator's key). */
  settlerKey: Hex;
  /** Holds ADMIN_ROLE (roles, policy changes); a separate account, never handed to a service. */
  adminKey: Hex;
  stop(): Promise<void>;
}

/**
 * Starts the embedded chain and deploys the verifiers and DrexSettlement for the circuit's k, starting at
 * the empty ledger (empty note tree, nullifier set holding its sentinel, supply 0), with the dev minter
 * and the dev compliance limit; the settler key settles and mints, the separate dev admin account
 * administers (policy changes take the default delay).
 */
export async function startDevLedger(o: { port?: number; circuit?: CircuitSpec; onProgress?: (m: string) => void } = {}): Promise<DevLedger> {
  const artifacts = await ensureArtifacts(o.circuit ? { circuit: o.circuit } : {});
  const crypto = await loadCrypto();
  const contracts = await compileContracts({ artifacts, onProgress: o.onProgress });
  const chain = await startEmbeddedChain({ port: o.port ?? 0 });
  try {
    const settlerKey = chain.accounts[0]!;
    const client = createChainClient({ url: chain.url, privateKey: settlerKey, gasPrice: 0n });
    const addresses = await deploySettlement(client, {
      contracts,
      initial: emptyLedgerState(crypto, artifacts.manifest.depth, artifacts.manifest.nullDepth),
      transfersPerProof: artifacts.manifest.k,
      minterId: devMinter(crypto).owner,
      complianceLimit: DEV_COMPLIANCE_LIMIT,
      admin: privateKeyToAccount(chain.adminKey).address,
    });
    return { chain, rpc: chain.url, chainId: chain.chainId, contracts: { ...addresses }, settlerKey, adminKey: chain.adminKey, stop: () => chain.stop() };
  } catch (err) {
    await chain.stop();
    throw err;
  }
}
