import { encodeDeployData, encodeFunctionData, type Abi, type Address, type Hex } from 'viem';
import type { CompiledContract, CompiledContracts } from '../build/compile-contracts.ts';
import type { ChainClient } from './chain-client.ts';
import { ContractRevertedError, DeploymentError } from './errors.ts';
import { revertOf, sendTransaction } from './send-transaction.ts';
import { drexSettlementAbi } from './settlement-abi.ts';

export interface SettlementAddresses {
  Groth16Verifier: Address;
  BatchVerifier: Address;
  DrexSettlement: Address;
}

export interface DeploySettlementParams {
  contracts: CompiledContracts;
  /** The note-tree root the chain starts at (the planner's root before the first batch). */
  initialRoot: bigint;
  /** The circuit's minter owner id (field element). */
  minterId: bigint;
  complianceLimit: bigint;
  /** Accounts given SETTLER_ROLE; default [the deployer]. */
  settlers?: readonly Address[];
  /** Accounts given MINTER_ROLE (needed to settle batches with deposits/withdrawals); default: the settlers. */
  minters?: readonly Address[];
  /** Final admin; when it is not the deployer, the deployer hands ADMIN_ROLE over and drops its own. */
  admin?: Address;
  /** Reuse already deployed verifiers (they hold no state). */
  verifiers?: Pick<SettlementAddresses, 'Groth16Verifier' | 'BatchVerifier'>;
}

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

async function callSettlement(client: ChainClient, address: Address, what: string, data: Hex): Promise<void> {
  const { hash, receipt } = await sendTransaction(client, { to: address, data, abi: drexSettlementAbi as Abi, what });
  if (receipt.status !== 'success') {
    const rev = await revertOf(client, drexSettlementAbi, receipt, { hash, to: address, data });
    throw new ContractRevertedError(what, rev.errorName, rev.args, hash);
  }
}

/**
 * Deploys Groth16Verifier (snarkjs), BatchVerifier (generated from the same verification key) and
 * DrexSettlement, and grants the settler and minter roles.
 */
export async function deploySettlement(client: ChainClient, p: DeploySettlementParams): Promise<SettlementAddresses> {
  const { contracts: c } = p;
  const verifiers = p.verifiers ?? {
    Groth16Verifier: (await deployContract(client, 'Groth16Verifier', c.contracts.Groth16Verifier)).address,
    BatchVerifier: (await deployContract(client, 'BatchVerifier', c.contracts.BatchVerifier)).address,
  };
  const deployer = client.account.address;
  const { address } = await deployContract(client, 'DrexSettlement', c.contracts.DrexSettlement, [
    p.initialRoot,
    p.minterId,
    p.complianceLimit,
    verifiers.BatchVerifier,
    verifiers.Groth16Verifier,
    deployer,
  ]);
  const role = (r: 'SETTLER_ROLE' | 'MINTER_ROLE' | 'ADMIN_ROLE') => client.public.readContract({ address, abi: drexSettlementAbi, functionName: r });
  const [settlerRole, minterRole, adminRole] = await Promise.all([role('SETTLER_ROLE'), role('MINTER_ROLE'), role('ADMIN_ROLE')]);
  const settlers = p.settlers ?? [deployer];
  const grant = (r: Hex, a: Address) =>
    callSettlement(client, address, `grantRole ${r.slice(0, 10)} ${a}`, encodeFunctionData({ abi: drexSettlementAbi, functionName: 'grantRole', args: [r, a] }));
  for (const a of settlers) await grant(settlerRole, a);
  for (const a of p.minters ?? settlers) await grant(minterRole, a);
  if (p.admin && p.admin.toLowerCase() !== deployer.toLowerCase()) {
    await grant(adminRole, p.admin);
    await callSettlement(client, address, 'revokeRole ADMIN deployer', encodeFunctionData({ abi: drexSettlementAbi, functionName: 'revokeRole', args: [adminRole, deployer] }));
  }
  return { ...verifiers, DrexSettlement: address };
}
