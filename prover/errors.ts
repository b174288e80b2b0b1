/** The prover's errors: each names what was wrong with its input, with a stable code. */
import { DrexError } from '../protocol/errors.ts';

/** A proving key that is not a snarkjs Groth16 .zkey over BN254, or is truncated or inconsistent. */
export class ProvingKeyError extends DrexError {
  override name = 'ProvingKeyError';
  readonly code = 'PROVING_KEY_INVALID';
}

/** The witness calculator refused the inputs (a constraint does not hold, a signal is missing). */
export class WitnessError extends DrexError {
  override name = 'WitnessError';
  readonly code = 'WITNESS_FAILED';
}

/** A witness or scalar vector that does not fit the proving key (length, field, canonical form). */
export class ScalarVectorError extends DrexError {
  override name = 'ScalarVectorError';
  readonly code = 'SCALARS_INVALID';
}

/** Why a set of MSM points was refused. */
export type MsmPointsRejection = 'MALFORMED' | 'COORDINATE_OUT_OF_RANGE' | 'NOT_ON_CURVE' | 'NOT_IN_SUBGROUP';

/** Encoded MSM points that are malformed, off their curve, or (G2) outside the prime-order subgroup. */
export class MsmPointsError extends DrexError {
  override name = 'MsmPointsError';
  readonly code = 'MSM_POINTS_INVALID';
  constructor(
    readonly reason: MsmPointsRejection,
    message: string,
  ) {
    super(message);
  }
}
