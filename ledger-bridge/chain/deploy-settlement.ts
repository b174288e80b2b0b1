import { encodeAbiParameters, encodeDeployData, keccak256, type Address, type Hex } from 'viem';
import type { CompiledContract, CompiledContracts } from '../build/compile-contracts.ts';
import { FIELD_ORDER, type Crypto } from '../../circuits/model/crypto.ts';
import { Ledger } from '../../circuits/model/ledger.ts';
import type { ChainPoint } from '../../protocol/ledger-point.ts';
import type { ChainClient } from './chain-client.ts';
import { DeploymentError } from './errors.ts';
import { revertOf, sendTransaction } from './send-transaction.ts';

export interface SettlementAddresses {
  Groth16Verifier: Address;
  BatchVerifier: Address;
  DrexSettlement: Address;
}

/** The ledger state DrexSettlement starts at (its constructor's InitialState). */
export interface InitialLedgerState extends ChainPoint {
  /** Value in the notes under `noteRoot` (0 for a fresh ledger): where totalSupply starts. */
  supply: bigint;
}

/** The chain state of a ledger at `point` (a planner's LedgerPoint or a ChainPoint) holding `supply`. */
export function ledgerStateAt(point: { noteRoot: bigint; noteIndex: number | bigint; nullRoot: bigint }, supply = 0n): InitialLedgerState {
  return { noteRoot: point.noteRoot, noteIndex: BigInt(point.noteIndex), nullRoot: point.nullRoot, supply };
}

/** The state of a fresh ledger: the empty note tree and the nullifier set holding only its sentinel. */
export function emptyLedgerState(crypto: Crypto, depth: number, nullDepth: number): InitialLedgerState {
  return ledgerStateAt(Ledger.empty(crypto, depth, nullDepth).point);
}

/** The tag DrexSettlement hashes into its domain. */
export const SETTLEMENT_DOMAIN_TAG = 'drex-swarm/transfer-batch/v2';

/**
 * DrexSettlement's domain, as its constructor computes it: keccak256(abi.encode(chainId, address,
 * SETTLEMENT_DOMAIN_TAG)) mod the BN254 scalar field order. Read `domain()` from a deployed contract;
 * this is for signing before the deployment (with the address it will get).
 */
export function settlementDomain(chainId: number | bigint, address: Address): bigint {
  const enc = encodeAbiParameters([{ type: 'uint256' }, { type: 'address' }, { type: 'string' }], [BigInt(chainId), address, SETTLEMENT_DOMAIN_TAG]);
  return BigInt(keccak256(enc)) % FIELD_ORDER;
}

export interface DeploySettlementParams {
  /** Compiled against the circuit's artifacts (the verifiers hold its verification key). */
  contracts: CompiledContracts;
  /** Where the ledger starts; `emptyLedgerState(...)` for a fresh one. */
  initial: InitialLedgerState;
  /** k: transfers per proof of the circuit the verifiers were built for. */
  transfersPerProof: number;
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
  /** Accounts given MINTER_ROLE (needed to settle proofs with deposits/withdrawals); default: the settlers. */
  minters?: readonly Address[];
  /** Reuse already deployed verifiers (they hold no state; they must hold the same circuit's key). */
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
 * Deploys Groth16Verifier (snarkjs) and BatchVerifier (generated from the same verification key) unless
 * given, then DrexSettlement, whose constructor gives ADMIN_ROLE to `admin` and the settler and minter
 * roles to the settlers and minters (so the deployer keeps nothing it was not named for). DrexSettlement
 * is the deployer's last transaction here: its address, hence its domain, follows from the deployer's
 * nonce after the verifiers.
 */
export async function deploySettlement(client: ChainClient, p: DeploySettlementParams): Promise<SettlementAddresses> {
  const { contracts: c } = p;
  const deployer = client.account.address;
  const settlers = p.settlers ?? [deployer];
  const minters = p.minters ?? settlers;
  const clash = [...settlers, ...minters].find((a) => a.toLowerCase() === p.admin.toLowerCase());
  if (clash) throw new DeploymentError(`the admin ${p.admin} must not also be a settler or minter (keep the admin key off the settling host)`);
  if (!Number.isInteger(p.transfersPerProof) || p.transfersPerProof < 1) throw new DeploymentError(`transfersPerProof must be >= 1, got ${p.transfersPerProof}`);
  const verifiers = p.verifiers ?? {
    Groth16Verifier: (await deployContract(client, 'Groth16Verifier', c.contracts.Groth16Verifier)).address,
    BatchVerifier: (await deployContract(client, 'BatchVerifier', c.contracts.BatchVerifier)).address,
  };
  const { address } = await deployContract(client, 'DrexSettlement', c.contracts.DrexSettlement, [
    { noteRoot: p.initial.noteRoot, nullRoot: p.initial.nullRoot, noteIndex: p.initial.noteIndex, supply: p.initial.supply },
    p.minterId,
    p.complianceLimit,
    p.policyDelaySeconds ?? DEFAULT_POLICY_DELAY_SECONDS,
    verifiers.BatchVerifier,
    verifiers.Groth16Verifier,
    BigInt(p.transfersPerProof),
    p.admin,
    settlers,
    minters,
  ]);
  return { ...verifiers, DrexSettlement: address };
}
