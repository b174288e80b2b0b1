import { encodeDeployData, type Address, type Hex } from 'viem';
import type { CompiledContract, CompiledContracts } from '../build/compile-contracts.ts';
import type { ChainClient } from './chain-client.ts';
import { DeploymentError } from './errors.ts';
import { revertOf, sendTransaction } from './send-transaction.ts';

export interface SettlementAddresses {
  Groth16Verifier: Address;
  BatchVerifier: Address;
  DrexSettlement: Address;
}

export interface DeploySettlementParams {
  contracts: CompiledContracts;
  /** The note-tree root the chain starts at (the planner's root before the first batch). */
  initialRoot: bigint;
  /** Value already in the notes under `initialRoot` (0 for the empty tree): where totalSupply starts. */
  initialSupply?: bigint;
  /** The circuit's minter owner id (field element). */
  minterId: bigint;
  complianceLimit: bigint;
  /** Seconds from scheduling a policy to its activation (and the previous policy's grace after it); default 1 day. */
  policyDelaySeconds?: bigint;
  /**
   * The admin (ADMIN_ROLE: grants roles, schedules policies). It must not be a settler or minter (the
   * contract refuses with RoleConflict); the deployer holds no role unless it is named here.
   */
  admin: Address;
  /** Accounts given SETTLER_ROLE; default [the deployer]. */
  settlers?: readonly Address[];
  /** Accounts given MINTER_ROLE (needed to settle batches with deposits/withdrawals); default: the settlers. */
  minters?: readonly Address[];
  /** Reuse already deployed verifiers (they hold no state). */
  verifiers?: Pick<SettlementAddresses, 'Groth16Verifier' | 'BatchVerifier'>;
}

/** Default policy delay: one day. */
export const DEFAULT_POLICY_DELAY_SECONDS = 86_400n;

/** Deploys one contract and returns its address. */
export async function deployContract(client: ChainClient, name: string, c: CompiledContract, args: readonly unknown[] = []): Promise<{ address: Address; hash: Hex; gasUsed: bigint }> {
  const data = encodeDeployData({ abi: c.abi, bytecode: c.bytecode, args });
  const { hash, receipt } = await sendTransaction(client, { data, abi: c.abi, what: `deploy ${name}` });
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    const rev = await revertOf(client, c.abi, receipt, { hash, data });
    throw new DeploymentError(`deploy ${name} failed in tx ${hash}: ${rev.errorName}(${rev.args.map(String).join(', ')})`);
  }
  return { address: receipt.contractAddress, hash, gasUsed: receipt.gasUsed };
}

/**
 * Deploys Groth16Verifier (snarkjs), BatchVerifier (generated from the same verification key) and
 * DrexSettlement, in one constructor call that gives ADMIN_ROLE to `admin` and the settler and minter
 * roles to the settlers and minters (so the deployer keeps nothing it was not named for).
 */
export async function deploySettlement(client: ChainClient, p: DeploySettlementParams): Promise<SettlementAddresses> {
  const { contracts: c } = p;
  const deployer = client.account.address;
  const settlers = p.settlers ?? [deployer];
  const minters = p.minters ?? settlers;
  const clash = [...settlers, ...minters].find((a) => a.toLowerCase() === p.admin.toLowerCase());
  if (clash) throw new DeploymentError(`the admin ${p.admin} must not also be a settler or minter (keep the admin key off the settling host)`);
  const verifiers = p.verifiers ?? {
    Groth16Verifier: (await deployContract(client, 'Groth16Verifier', c.contracts.Groth16Verifier)).address,
    BatchVerifier: (await deployContract(client, 'BatchVerifier', c.contracts.BatchVerifier)).address,
  };
  const { address } = await deployContract(client, 'DrexSettlement', c.contracts.DrexSettlement, [
    p.initialRoot,
    p.initialSupply ?? 0n,
    p.minterId,
    p.complianceLimit,
    p.policyDelaySeconds ?? DEFAULT_POLICY_DELAY_SECONDS,
    verifiers.BatchVerifier,
    verifiers.Groth16Verifier,
    p.admin,
    settlers,
    minters,
  ]);
  return { ...verifiers, DrexSettlement: address };
}
