/**
 * The settlement package of a verified batch: what the ledger bridge sends to the settlement contract
 * (proofs and public inputs in planned order) with the values the contract and auditors check (the
 * ledger points the batch starts from and ends at, its transfer count, its domain, the aggregation root).
 *
 * Building one checks what must hold before anything is sent on chain: the batch is not empty, every
 * proof carries at least one transfer, the chain of ledger points is continuous (proof i starts where
 * proof i-1 ends: note root, next note index and nullifier-set state; and follows the planner's points
 * when given), and every proof is signed in one domain (the deployment's, when given). The circuit's
 * nullifier set already refuses a note or intent spent twice, so the package has nothing to add there.
 */
import type { Hex } from 'viem';
import { toSolidityProof, ProofEncodingError, type SolidityProof } from '../protocol/groth16-encoding.ts';
import { FIELD_PRIME, SCALAR_ORDER } from './bn254-engine.ts';
import { leafOf, rootOfLeaves } from './aggregation-tree.ts';
import type { ProofItem } from './batch-verify.ts';
import { MAX_TRANSFERS_PER_PROOF, TRANSFER_PUBLIC_INPUTS as IX } from '../protocol/transfer-public-inputs.ts';
import { pointAfter, pointBefore, type ChainPoint } from '../protocol/ledger-point.ts';
import { DrexError } from '../protocol/errors.ts';

/** Why a settlement package cannot be built or read. */
export type SettlementPackageErrorCode =
  | 'EMPTY_BATCH'
  | 'BAD_BATCH_ID'
  | 'MALFORMED_ITEM'
  | 'ROOT_CHAIN_BROKEN'
  | 'DOMAIN_MISMATCH'
  | 'MALFORMED_PACKAGE'
  | 'INCONSISTENT_PACKAGE';

export class SettlementPackageError extends DrexError {
  override name = 'SettlementPackageError';
  constructor(
    readonly code: SettlementPackageErrorCode,
    message: string,
    /** Index of the offending proof in the batch, when there is one. */
    readonly proofIndex?: number,
  ) {
    super(message);
  }
}

/** Everything the settlement of one batch needs, in planned order. */
export interface SettlementPackage {
  version: 2;
  /** 0x-prefixed 32-byte hex, lower case. */
  batchId: Hex;
  /** Where the batch starts (must be the contract's current point). */
  before: ChainPoint;
  /** Where the batch ends. */
  after: ChainPoint;
  /** Transfers settled: the sum of the proofs' `transfers` inputs. */
  transfers: number;
  /** The domain every proof's intents are signed in. */
  domain: bigint;
  /** Root of the aggregation tree over (proof, publicInputs), see aggregation-tree.ts. */
  aggregationRoot: Hex;
  proofs: SolidityProof[];
  /** The 11 public inputs of each proof, circuit order. */
  publicInputs: bigint[][];
}

export interface BuildSettlementPackageArgs {
  batchId: string;
  /** Verified proofs in planned order. */
  items: readonly ProofItem[];
  /** The planner's points: before proof 0, then after each proof (proofs + 1 points), when known. */
  expectedPoints?: readonly ChainPoint[];
  /** The deployment's domain, when known: every proof must carry it. */
  domain?: bigint;
  /** The deployment's k, when known: no proof carries more transfers. */
  transfersPerProof?: number;
}

/** What the package checks besides the proofs themselves. */
export interface PackageExpectations {
  expectedPoints?: readonly ChainPoint[];
  domain?: bigint;
  /** The deployment's k (default: the largest k a circuit is built for). */
  transfersPerProof?: number;
}

const BATCH_ID = /^0x[0-9a-fA-F]{64}$/;

function fail(code: SettlementPackageErrorCode, message: string, proofIndex?: number): never {
  throw new SettlementPackageError(code, proofIndex === undefined ? message : `proof #${proofIndex}: ${message}`, proofIndex);
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

/** The first field in which `actual` differs from `expected`, described; undefined when they are equal. */
function pointDifference(actual: ChainPoint, expected: ChainPoint): string | undefined {
  for (const k of ['noteRoot', 'noteIndex', 'nullRoot'] as const) {
    if (actual[k] !== expected[k]) return `${k} ${actual[k]} is not ${expected[k]}`;
  }
  return undefined;
}

/**
 * Assembles and checks a package from encoded proofs and public inputs (shared by the builder and the
 * JSON reader). Throws a `SettlementPackageError`.
 */
export function assembleSettlementPackage(
  batchId: string,
  proofs: readonly SolidityProof[],
  publicInputs: readonly (readonly bigint[])[],
  expect: PackageExpectations = {},
): SettlementPackage {
  if (typeof batchId !== 'string' || !BATCH_ID.test(batchId)) fail('BAD_BATCH_ID', 'batchId must be 0x-prefixed 32-byte hex');
  const n = publicInputs.length;
  if (n === 0) fail('EMPTY_BATCH', 'a settlement package needs at least one proof');
  if (proofs.length !== n) fail('MALFORMED_ITEM', `${proofs.length} proofs for ${n} sets of public inputs`);
  const k = expect.transfersPerProof ?? MAX_TRANSFERS_PER_PROOF;
  publicInputs.forEach((x, i) => {
    if (x.length !== IX.count) fail('MALFORMED_ITEM', `expected ${IX.count} public inputs, got ${x.length}`, i);
    if (x.some((v) => v < 0n || v >= SCALAR_ORDER)) fail('MALFORMED_ITEM', 'a public input is not a field element below r', i);
    const t = x[IX.transfers]!;
    if (t < 1n || t > BigInt(k)) fail('MALFORMED_ITEM', `carries ${t} transfers, not 1..${k}${expect.transfersPerProof === undefined ? '' : " (the deployment's k)"}`, i);
  });
  proofs.forEach((p, i) => {
    if (p.length !== 8 || p.some((c) => c < 0n || c >= FIELD_PRIME)) fail('MALFORMED_ITEM', 'a proof is 8 coordinates below the base field prime', i);
  });

  const befores = publicInputs.map((x) => pointBefore(x));
  const afters = publicInputs.map((x) => pointAfter(x));
  for (let i = 1; i < n; i++) {
    const diff = pointDifference(befores[i]!, afters[i - 1]!);
    if (diff) fail('ROOT_CHAIN_BROKEN', `does not start where the previous proof ends: ${diff}`, i);
  }
  const planned = expect.expectedPoints;
  if (planned !== undefined) {
    if (planned.length !== n + 1) fail('ROOT_CHAIN_BROKEN', `expected ${n + 1} planned points for ${n} proofs, got ${planned.length}`);
    for (let i = 0; i < n; i++) {
      const before = pointDifference(befores[i]!, planned[i]!);
      if (before) fail('ROOT_CHAIN_BROKEN', `does not start at the planned point: ${before}`, i);
      const after = pointDifference(afters[i]!, planned[i + 1]!);
      if (after) fail('ROOT_CHAIN_BROKEN', `does not end at the planned point: ${after}`, i);
    }
  }

  const domain = expect.domain ?? publicInputs[0]![IX.domain]!;
  publicInputs.forEach((x, i) => {
    if (x[IX.domain] !== domain) {
      fail('DOMAIN_MISMATCH', `is signed for domain ${x[IX.domain]}, not ${expect.domain === undefined ? "proof #0's" : "the deployment's"} ${domain}`, i);
    }
  });

  const copies = publicInputs.map((x) => [...x]);
  const proofCopies = proofs.map((p) => [...p] as unknown as SolidityProof);
  return {
    version: 2,
    batchId: batchId.toLowerCase() as Hex,
    before: befores[0]!,
    after: afters[n - 1]!,
    transfers: Number(publicInputs.reduce((s, x) => s + x[IX.transfers]!, 0n)),
    domain,
    aggregationRoot: rootOfLeaves(proofCopies.map((p, i) => leafOf(p, copies[i]!))),
    proofs: proofCopies,
    publicInputs: copies,
  };
}

/**
 * Builds the settlement package of a batch of verified proofs (in planned order), checking the chain of
 * ledger points (against `expectedPoints` too, when given) and the domain (against `domain`, when given).
 */
export function buildSettlementPackage(args: BuildSettlementPackageArgs): SettlementPackage {
  const { batchId, items, expectedPoints, domain, transfersPerProof } = args;
  if (typeof batchId !== 'string' || !BATCH_ID.test(batchId)) fail('BAD_BATCH_ID', 'batchId must be 0x-prefixed 32-byte hex');
  if (!Array.isArray(items) || items.length === 0) fail('EMPTY_BATCH', 'a settlement package needs at least one proof');
  const publicInputs = items.map(signalsOf);
  const proofs = items.map(proofOf);
  return assembleSettlementPackage(batchId, proofs, publicInputs, { expectedPoints, domain, transfersPerProof });
}
