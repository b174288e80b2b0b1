import { encodeAbiParameters, keccak256, type Address } from 'viem';
import type { CompiledContracts } from '../build/compile-contracts.ts';
import { FIELD_ORDER, type Crypto } from '../../circuits/model/crypto.ts';
import { LedgerV2, type LedgerPoint } from '../../circuits/model/v2/ledger.ts';
import type { ChainClient } from './chain-client.ts';
import { DEFAULT_POLICY_DELAY_SECONDS, deployContract, type SettlementAddresses } from './deploy-settlement.ts';
import { DeploymentError } from './errors.ts';

export interface SettlementV2Addresses extends Omit<SettlementAddresses, 'DrexSettlement'> {
  DrexSettlementV2: Address;
}

/** The ledger state DrexSettlementV2 starts at (its constructor's InitialState). */
export interface InitialLedgerStateV2 {
  /** The note tree's root. */
  noteRoot: bigint;
  /** The nullifier set's public state Poseidon(setRoot, setSize). */
  nullRoot: bigint;
  /** The note tree's next free leaf. */
  noteIndex: bigint;
  /** Value in the notes under `noteRoot` (0 for a fresh ledger): where totalSupply starts. */
  supply: bigint;
}

/** The chain state of a ledger at `point` holding `supply`. */
export function ledgerStateAt(point: LedgerPoint, supply = 0n): InitialLedgerStateV2 {
  return { noteRoot: point.noteRoot, nullRoot: point.nullRoot, noteIndex: BigInt(point.noteIndex), supply };
}

/** The state of a fresh ledger: the empty note tree and the nullifier set holding only its sentinel. */
export function emptyLedgerStateV2(crypto: Crypto, depth: number, nullDepth: number): InitialLedgerStateV2 {
  return ledgerStateAt(LedgerV2.empty(crypto, depth, nullDepth).point);
}

/** The tag DrexSettlementV2 hashes into its domain. */
export const SETTLEMENT_V2_DOMAIN_TAG = 'drex-swarm/transfer-batch/v2';

/**
 * DrexSettlementV2's domain, as its constructor computes it: keccak256(abi.encode(chainId, address,
 * "drex-swarm/transfer-batch/v2")) mod the BN254 scalar field order. Read `domain()` from a deployed
 * contract; this is for planning before the deployment (with the address it will get).
 */
export function settlementDomainV2(chainId: number | bigint, address: Address): bigint {
  const enc = encodeAbiParameters([{ type: 'uint256' }, { type: 'address' }, { type: 'string' }], [BigInt(chainId), address, SETTLEMENT_V2_DOMAIN_TAG]);
  return BigInt(keccak256(enc)) % FIELD_ORDER;
}

export interface DeploySettlementV2Params {
  /** Compiled against the k-transfer circuit's artifacts (the verifiers hold its verification key). */
  contracts: CompiledContracts;
  /** Where the ledger starts; `emptyLedgerStateV2(...)` for a fresh one. */
  initial: InitialLedgerStateV2;
  /** k: transfers per proof of the circuit the verifiers were built for. */
  transfersPerProof: number;
  /** The circuit's minter owner id (field element). */
  minterId: bigint;
  complianceLimit: bigint;
  /** Seconds from scheduling a policy to its activation (and the previous policy's grace after it); default 1 day. */
  policyDelaySeconds?: bigint;
  /** The admin (ADMIN_ROLE); it must not be a settler or minter. */
  admin: Address;
  /** Accounts given SETTLER_ROLE; default [the deployer]. */
  settlers?: readonly Address[];
  /** Accounts given MINTER_ROLE (needed to settle proofs with deposits/withdrawals); default: the settlers. */
  minters?: readonly Address[];
  /** Reuse already deployed verifiers (they hold no state; they must hold the k-transfer circuit's key). */
  verifiers?: Pick<SettlementAddresses, 'Groth16Verifier' | 'BatchVerifier'>;
}

/**
 * Deploys Groth16Verifier and BatchVerifier (unless given) and DrexSettlementV2, whose constructor gives
 * ADMIN_ROLE to `admin` and the settler and minter roles to the settlers and minters.
 */
export async function deploySettlementV2(client: ChainClient, p: DeploySettlementV2Params): Promise<SettlementV2Addresses> {
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
  const { address } = await deployContract(client, 'DrexSettlementV2', c.contracts.DrexSettlementV2, [
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
  return { ...verifiers, DrexSettlementV2: address };
}
