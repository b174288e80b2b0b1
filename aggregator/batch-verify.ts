/**
 * Off-chain batch verification of Groth16 proofs of one verification key with ONE randomized
 * multi-pairing. With independent random weights r_i in [1, 2^128) (crypto.randomBytes), a batch of N
 * proofs (A_i, B_i, C_i) with public inputs x_i passes when
 *
 *   prod_i e(r_i*A_i, B_i) * e(-(sum r_i)*alpha, beta) * e(-vk_x, gamma) * e(-sum r_i*C_i, delta) == 1
 *
 * where vk_x = (sum r_i)*IC_0 + sum_j (sum_i r_i*x_ij)*IC_j: N+3 Miller loops and one final
 * exponentiation. A batch with a bad proof passes with probability at most ~2^-128.
 *
 * Before any pairing, every item is validated (`prepareProof`): public signals count and range (< r),
 * coordinates < p, points on their curve and not the identity, B in the prime-order subgroup G2.
 * Malformed items are reported as bad without pairing. When the check fails, bisection names every bad
 * proof: a failing set is split in halves; a half that passes is cleared, a failing half is split again;
 * when the left half passes, the right half is known to fail without checking it.
 */
import { randomBytes } from 'node:crypto';
import type { SnarkjsProof } from '../protocol/groth16-encoding.ts';
import { linearCombination, SCALAR_ORDER, scalarBytes, type EnginePoint } from './bn254-engine.ts';
import { g1ToEngine, g2ToEngine, inG2Subgroup, parseG1, parseG2, parseScalar, PointError, type PointRejection } from './groth16-points.ts';
import { icCombination, type PreparedVerificationKey } from './verification-key.ts';
import { DrexError } from '../protocol/errors.ts';

/** A proof with the public signals it proves, as snarkjs writes them. */
export interface ProofItem {
  proof: SnarkjsProof;
  publicSignals: readonly string[];
}

/** Why an item was refused before pairing. */
export type ItemRejection = PointRejection | 'MALFORMED_PROOF' | 'SIGNAL_COUNT';

/** An item that never reached the pairing, and why. */
export interface MalformedItem {
  index: number;
  code: ItemRejection;
  message: string;
}

/** The outcome of `verifyBatch`. */
export interface BatchVerdict {
  /** True when every item is well-formed and verifies. */
  ok: boolean;
  /** Indices of the malformed or non-verifying items, ascending. */
  bad: number[];
  /** Number of (multi-)pairing checks performed. */
  checks: number;
  /** The subset of `bad` refused before pairing, with reasons. */
  malformed: MalformedItem[];
}

/** Raised for an item that cannot enter the pairing. */
export class ProofItemError extends DrexError {
  override name = 'ProofItemError';
  constructor(
    readonly code: ItemRejection,
    message: string,
  ) {
    super(message);
  }
}

/** A validated proof in engine form. */
export interface PreparedProof {
  readonly a: EnginePoint;
  readonly b: EnginePoint;
  readonly c: EnginePoint;
  readonly signals: readonly bigint[];
}

/** Validates one item against the key (see the module comment); throws a `ProofItemError`. */
export function prepareProof(vk: PreparedVerificationKey, item: ProofItem): PreparedProof {
  const { engine } = vk;
  const proof: unknown = item?.proof;
  const signals: unknown = item?.publicSignals;
  if (typeof proof !== 'object' || proof === null) throw new ProofItemError('MALFORMED_PROOF', 'proof is not an object');
  if (!Array.isArray(signals)) throw new ProofItemError('MALFORMED_PROOF', 'publicSignals is not an array');
  if (signals.length !== vk.nPublic) {
    throw new ProofItemError('SIGNAL_COUNT', `expected ${vk.nPublic} public signals, got ${signals.length}`);
  }
  const p = proof as Record<string, unknown>;
  try {
    const parsedSignals = signals.map((s, j) => parseScalar(s, `publicSignals[${j}]`));
    const a = parseG1(p.pi_a, 'pi_a');
    const c = parseG1(p.pi_c, 'pi_c');
    const b = parseG2(p.pi_b, 'pi_b');
    if (!inG2Subgroup(engine, b)) throw new PointError('NOT_IN_SUBGROUP', 'pi_b is on the twist but not in the prime-order subgroup G2');
    return { a: g1ToEngine(engine, a), b: g2ToEngine(engine, b), c: g1ToEngine(engine, c), signals: parsedSignals };
  } catch (err) {
    if (err instanceof PointError) throw new ProofItemError(err.code, err.message);
    throw err;
  }
}

/** Independent uniform weights in [1, 2^128). */
function randomWeights(n: number): bigint[] {
  const bytes = randomBytes(16 * n);
  return Array.from({ length: n }, (_, i) => {
    const w = BigInt(`0x${bytes.subarray(16 * i, 16 * i + 16).toString('hex')}`);
    return w === 0n ? 1n : w;
  });
}

/** The randomized batch equation over validated proofs: one multi-pairing with N+3 pairs. */
export async function checkPrepared(vk: PreparedVerificationKey, proofs: readonly PreparedProof[]): Promise<boolean> {
  if (proofs.length === 0) return true;
  const { G1 } = vk.engine;
  const weights = randomWeights(proofs.length);
  const pairs: EnginePoint[] = [];
  const coefficients = new Array<bigint>(vk.nPublic + 1).fill(0n);
  const weightBytes: Uint8Array[] = [];
  proofs.forEach((p, i) => {
    const w = weights[i]!;
    const wb = scalarBytes(w, 16);
    weightBytes.push(wb);
    pairs.push(G1.timesScalar(p.a, wb), p.b);
    coefficients[0]! += w;
    p.signals.forEach((x, j) => {
      coefficients[j + 1]! += w * x;
    });
  });
  const reduced = coefficients.map((s) => s % SCALAR_ORDER);
  const vkX = icCombination(vk, reduced);
  const cSum = linearCombination(G1, proofs.map((p) => p.c), weightBytes);
  const alphaSum = G1.timesScalar(vk.alpha, scalarBytes(reduced[0]!));
  for (const [g1, g2] of [
    [alphaSum, vk.beta],
    [vkX, vk.gamma],
    [cSum, vk.delta],
  ] as const) {
    // e(O, Q) = 1: an identity term is left out (the engine's Miller loop does not expect it).
    if (!G1.isZero(g1)) pairs.push(G1.neg(g1), g2);
  }
  return vk.engine.pairingEq(...pairs);
}

function prepareAll(vk: PreparedVerificationKey, items: readonly ProofItem[]): { proofs: (PreparedProof | undefined)[]; malformed: MalformedItem[] } {
  const malformed: MalformedItem[] = [];
  const proofs = items.map((item, index) => {
    try {
      return prepareProof(vk, item);
    } catch (err) {
      if (!(err instanceof ProofItemError)) throw err;
      malformed.push({ index, code: err.code, message: err.message });
      return undefined;
    }
  });
  return { proofs, malformed };
}

/**
 * Verifies `items` with one randomized multi-pairing; if it fails, bisects to name every bad item.
 * Malformed items are bad without pairing. `checks` counts the pairing checks (1 for a good batch).
 */
export async function verifyBatch(vk: PreparedVerificationKey, items: readonly ProofItem[]): Promise<BatchVerdict> {
  const { proofs, malformed } = prepareAll(vk, items);
  const bad = malformed.map((m) => m.index);
  let checks = 0;
  const check = (set: readonly number[]) => {
    checks++;
    return checkPrepared(vk, set.map((i) => proofs[i]!));
  };
  const locate = async (set: readonly number[], knownToFail: boolean): Promise<void> => {
    if (!knownToFail && (await check(set))) return;
    if (set.length === 1) {
      bad.push(set[0]!);
      return;
    }
    const left = set.slice(0, set.length >> 1);
    const right = set.slice(set.length >> 1);
    if (await check(left)) return locate(right, true);
    await locate(left, true);
    await locate(right, false);
  };
  const wellFormed = proofs.flatMap((p, i) => (p ? [i] : []));
  if (wellFormed.length > 0) await locate(wellFormed, false);
  bad.sort((x, y) => x - y);
  return { ok: bad.length === 0, bad, checks, malformed };
}

/** The single randomized check over all items: false when any item is malformed or fails. */
export async function verifyBatchOnce(vk: PreparedVerificationKey, items: readonly ProofItem[]): Promise<boolean> {
  const { proofs, malformed } = prepareAll(vk, items);
  if (malformed.length > 0) return false;
  return checkPrepared(vk, proofs as PreparedProof[]);
}

/** Verifies one item by the same code path (validation, then the 4-pair check). */
export async function verifySingle(vk: PreparedVerificationKey, item: ProofItem): Promise<boolean> {
  return verifyBatchOnce(vk, [item]);
}
