/**
 * The settlement package of a verified batch: what the ledger bridge sends to the settlement contract
 * (proofs and public inputs in planned order) with the values the contract and auditors check
 * (the root chain's ends, every nullifier, commitment and intent nullifier, the aggregation root).
 *
 * Building one checks what must hold before anything is sent on chain: the batch is not empty, the
 * root chain is continuous (transfer i starts at transfer i-1's root_after, and follows the planner's
 * roots when given), and no nullifier or intent nullifier repeats within the batch.
 */
import type { Hex } from 'viem';
import { toSolidityProof, ProofEncodingError, type SolidityProof } from '../protocol/groth16-encoding.ts';
import { FIELD_PRIME, SCALAR_ORDER } from './bn254-engine.ts';
import { leafOf, rootOfLeaves } from './aggregation-tree.ts';
import type { ProofItem } from './batch-verify.ts';
import { TRANSFER_PUBLIC_INPUTS as IX } from '../protocol/transfer-public-inputs.ts';
import { DrexError } from '../protocol/errors.ts';

/** Why a settlement package cannot be built or read. */
export type SettlementPackageErrorCode =
  | 'EMPTY_BATCH'
  | 'BAD_BATCH_ID'
  | 'MALFORMED_ITEM'
  | 'ROOT_CHAIN_BROKEN'
  | 'DUPLICATE_NULLIFIER'
  | 'DUPLICATE_INTENT'
  | 'MALFORMED_PACKAGE'
  | 'INCONSISTENT_PACKAGE';

export class SettlementPackageError extends DrexError {
  override name = 'SettlementPackageError';
  constructor(
    readonly code: SettlementPackageErrorCode,
    message: string,
    /** Index of the offending transfer in the batch, when there is one. */
    readonly transferIndex?: number,
  ) {
    super(message);
  }
}

/** Everything the settlement of one batch needs, in planned order. */
export interface SettlementPackage {
  version: 1;
  /** 0x-prefixed 32-byte hex, lower case. */
  batchId: Hex;
  /** root_0: the root the batch starts from (must be the contract's current root). */
  rootBefore: bigint;
  /** root_n: the root after the batch. */
  rootAfter: bigint;
  /** Root of the aggregation tree over (proof, publicInputs), see aggregation-tree.ts. */
  aggregationRoot: Hex;
  /** Two per transfer, in order. */
  nullifiers: bigint[];
  /** Two per transfer, in order. */
  commitments: bigint[];
  /** One per transfer, in order. */
  intentNullifiers: bigint[];
  proofs: SolidityProof[];
  /** The 11 public inputs of each transfer, circuit order. */
  publicInputs: bigint[][];
}

export interface BuildSettlementPackageArgs {
  batchId: string;
  /** Verified proofs in planned order. */
  items: readonly ProofItem[];
  /** The planner's chain root_0 .. root_n (n + 1 roots), when known. */
  expectedRoots?: readonly bigint[];
}

const BATCH_ID = /^0x[0-9a-fA-F]{64}$/;

function fail(code: SettlementPackageErrorCode, message: string, transferIndex?: number): never {
  throw new SettlementPackageError(code, transferIndex === undefined ? message : `transfer #${transferIndex}: ${message}`, transferIndex);
}

function signalsOf(item: ProofItem, i: number): bigint[] {
  const signals: unknown = item?.publicSignals;
  if (!Array.isArray(signals) || signals.length !== IX.count) {
    fail('MALFORMED_ITEM', `expected ${IX.count} public signals, got ${Array.isArray(signals) ? signals.length : typeof signals}`, i);
  }
  return signals.map((s: unknown, j) => {
    if (typeof s !== 'string' || !/^\d{1,78}$/.test(s) || BigInt(s) >= SCALAR_ORDER) {
      fail('MALFORMED_ITEM', `public signal ${j} is not a field element below r`, i);
    }
    return BigInt(s);
  });
}

function proofOf(item: ProofItem, i: number): SolidityProof {
  let proof: SolidityProof;
  try {
    proof = toSolidityProof(item.proof);
  } catch (err) {
    if (err instanceof ProofEncodingError || err instanceof TypeError) fail('MALFORMED_ITEM', err.message, i);
    throw err;
  }
  if (proof.some((c) => c >= FIELD_PRIME)) fail('MALFORMED_ITEM', 'a proof coordinate is not below the base field prime', i);
  return proof;
}

function firstRepeat(values: readonly bigint[]): number {
  const seen = new Set<bigint>();
  for (let i = 0; i < values.length; i++) {
    if (seen.has(values[i]!)) return i;
    seen.add(values[i]!);
  }
  return -1;
}

/**
 * Assembles and checks a package from encoded proofs and public inputs (shared by the builder and the
 * JSON reader). Throws a `SettlementPackageError`.
 */
export function assembleSettlementPackage(
  batchId: string,
  proofs: readonly SolidityProof[],
  publicInputs: readonly (readonly bigint[])[],
  expectedRoots?: readonly bigint[],
): SettlementPackage {
  if (typeof batchId !== 'string' || !BATCH_ID.test(batchId)) fail('BAD_BATCH_ID', 'batchId must be 0x-prefixed 32-byte hex');
  const n = publicInputs.length;
  if (n === 0) fail('EMPTY_BATCH', 'a settlement package needs at least one transfer');
  if (proofs.length !== n) fail('MALFORMED_ITEM', `${proofs.length} proofs for ${n} sets of public inputs`);
  publicInputs.forEach((x, i) => {
    if (x.length !== IX.count) fail('MALFORMED_ITEM', `expected ${IX.count} public inputs, got ${x.length}`, i);
    if (x.some((v) => v < 0n || v >= SCALAR_ORDER)) fail('MALFORMED_ITEM', 'a public input is not a field element below r', i);
  });
  proofs.forEach((p, i) => {
    if (p.length !== 8 || p.some((c) => c < 0n || c >= FIELD_PRIME)) fail('MALFORMED_ITEM', 'a proof is 8 coordinates below the base field prime', i);
  });

  const at = (i: number, k: number) => publicInputs[i]![k]!;
  for (let i = 1; i < n; i++) {
    if (at(i, IX.rootBefore) !== at(i - 1, IX.rootAfter)) {
      fail('ROOT_CHAIN_BROKEN', `root_before ${at(i, IX.rootBefore)} is not the previous transfer's root_after ${at(i - 1, IX.rootAfter)}`, i);
    }
  }
  if (expectedRoots !== undefined) {
    if (expectedRoots.length !== n + 1) fail('ROOT_CHAIN_BROKEN', `expected ${n + 1} planned roots for ${n} transfers, got ${expectedRoots.length}`);
    for (let i = 0; i < n; i++) {
      if (at(i, IX.rootBefore) !== expectedRoots[i]) fail('ROOT_CHAIN_BROKEN', `root_before ${at(i, IX.rootBefore)} is not the planned root ${expectedRoots[i]}`, i);
      if (at(i, IX.rootAfter) !== expectedRoots[i + 1]) fail('ROOT_CHAIN_BROKEN', `root_after ${at(i, IX.rootAfter)} is not the planned root ${expectedRoots[i + 1]}`, i);
    }
  }

  const nullifiers = publicInputs.flatMap((_, i) => IX.nullifiers.map((k) => at(i, k)));
  const dupNf = firstRepeat(nullifiers);
  if (dupNf >= 0) fail('DUPLICATE_NULLIFIER', `nullifier ${nullifiers[dupNf]} is spent twice in the batch`, dupNf >> 1);
  const intentNullifiers = publicInputs.map((_, i) => at(i, IX.intentNullifier));
  const dupIntent = firstRepeat(intentNullifiers);
  if (dupIntent >= 0) fail('DUPLICATE_INTENT', `intent nullifier ${intentNullifiers[dupIntent]} occurs twice in the batch`, dupIntent);

  const copies = publicInputs.map((x) => [...x]);
  const proofCopies = proofs.map((p) => [...p] as unknown as SolidityProof);
  return {
    version: 1,
    batchId: batchId.toLowerCase() as Hex,
    rootBefore: at(0, IX.rootBefore),
    rootAfter: at(n - 1, IX.rootAfter),
    aggregationRoot: rootOfLeaves(proofCopies.map((p, i) => leafOf(p, copies[i]!))),
    nullifiers,
    commitments: publicInputs.flatMap((_, i) => IX.commitments.map((k) => at(i, k))),
    intentNullifiers,
    proofs: proofCopies,
    publicInputs: copies,
  };
}

/**
 * Builds the settlement package of a batch of verified proofs (in planned order), checking the root
 * chain (against `expectedRoots` too, when given) and the uniqueness of nullifiers and intents.
 */
export function buildSettlementPackage(args: BuildSettlementPackageArgs): SettlementPackage {
  const { batchId, items, expectedRoots } = args;
  if (typeof batchId !== 'string' || !BATCH_ID.test(batchId)) fail('BAD_BATCH_ID', 'batchId must be 0x-prefixed 32-byte hex');
  if (!Array.isArray(items) || items.length === 0) fail('EMPTY_BATCH', 'a settlement package needs at least one transfer');
  const publicInputs = items.map(signalsOf);
  const proofs = items.map(proofOf);
  return assembleSettlementPackage(batchId, proofs, publicInputs, expectedRoots);
}
