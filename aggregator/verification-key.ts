/**
 * A Groth16 verification key (snarkjs's verification_key.json), parsed and checked once so that
 * repeated batch verifications are cheap: every point in range, on its curve, not the identity (IC
 * excepted), and beta, gamma and delta in the prime-order subgroup G2.
 */
import { z } from 'zod';
import { bn254Engine, linearCombination, scalarBytes, type Bn254Engine, type EnginePoint } from './bn254-engine.ts';
import { g1ToEngine, g2ToEngine, parseG1, parseG2InSubgroup, PointError } from './groth16-points.ts';
import { DrexError } from '../protocol/errors.ts';

/** Raised when a verification key is not a well-formed BN254 Groth16 key. */
export class VerificationKeyError extends DrexError {
  override name = 'VerificationKeyError';
  readonly code = 'VKEY_INVALID';
}

const vkeySchema = z.object({
  protocol: z.literal('groth16'),
  curve: z.literal('bn128'),
  nPublic: z.number().int().nonnegative().max(4096),
  vk_alpha_1: z.array(z.unknown()),
  vk_beta_2: z.array(z.unknown()),
  vk_gamma_2: z.array(z.unknown()),
  vk_delta_2: z.array(z.unknown()),
  IC: z.array(z.array(z.unknown())),
});

const PREPARED = Symbol('drex.preparedVerificationKey');

/** A verification key ready for batch verification (engine points, checked). */
export interface PreparedVerificationKey {
  readonly [PREPARED]: true;
  readonly engine: Bn254Engine;
  /** Number of public signals a proof of this key carries. */
  readonly nPublic: number;
  readonly alpha: EnginePoint;
  readonly beta: EnginePoint;
  readonly gamma: EnginePoint;
  readonly delta: EnginePoint;
  /** IC_0 .. IC_nPublic (affine; an identity IC is the engine's zero). */
  readonly ic: readonly EnginePoint[];
}

/** True for the result of `prepareVerificationKey`. */
export function isPreparedVerificationKey(v: unknown): v is PreparedVerificationKey {
  return typeof v === 'object' && v !== null && PREPARED in v;
}

/**
 * Parses and checks snarkjs's verification_key.json (the object, or its text). Throws a
 * `VerificationKeyError` naming the offending field.
 */
export async function prepareVerificationKey(vkeyJson: unknown): Promise<PreparedVerificationKey> {
  let raw: unknown = vkeyJson;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new VerificationKeyError('verification key is not JSON');
    }
  }
  const parsed = vkeySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VerificationKeyError(`verification key: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const vk = parsed.data;
  if (vk.IC.length !== vk.nPublic + 1) {
    throw new VerificationKeyError(`verification key: IC has ${vk.IC.length} points, nPublic ${vk.nPublic} needs ${vk.nPublic + 1}`);
  }
  const engine = await bn254Engine();
  try {
    const alpha = g1ToEngine(engine, parseG1(vk.vk_alpha_1, 'vk_alpha_1'));
    const beta = g2ToEngine(engine, parseG2InSubgroup(engine, vk.vk_beta_2, 'vk_beta_2'));
    const gamma = g2ToEngine(engine, parseG2InSubgroup(engine, vk.vk_gamma_2, 'vk_gamma_2'));
    const delta = g2ToEngine(engine, parseG2InSubgroup(engine, vk.vk_delta_2, 'vk_delta_2'));
    const ic = vk.IC.map((p, j) => g1ToEngine(engine, parseG1(p, `IC[${j}]`, true)));
    return { [PREPARED]: true, engine, nPublic: vk.nPublic, alpha, beta, gamma, delta, ic };
  } catch (err) {
    if (err instanceof PointError) throw new VerificationKeyError(`verification key: ${err.message}`);
    throw err;
  }
}

/** sum_j s_j * IC_j (s_0 .. s_n, each < r). */
export function icCombination(vk: PreparedVerificationKey, coefficients: readonly bigint[]): EnginePoint {
  return linearCombination(vk.engine.G1, vk.ic, coefficients.map((s) => scalarBytes(s)));
}
