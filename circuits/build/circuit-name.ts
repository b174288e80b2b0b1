import { DrexError } from '../../protocol/errors.ts';
import { MAX_TRANSFERS_PER_PROOF } from '../../protocol/transfer-public-inputs.ts';
import type { CircuitSpec } from './compile.ts';

/** A circuit name that does not parse, or names parameters the circuit cannot take. */
export class InvalidCircuitNameError extends DrexError {
  override name = 'InvalidCircuitNameError';
  readonly code = 'INVALID_CIRCUIT_NAME';
}

const NAME = /^(?:transfer-batch-)?k(\d+)-d(\d+)-n(\d+)$/;

/**
 * Parses a circuit's short name, `k4-d10-n11` (or `transfer-batch-k4-d10-n11`, as the cache names it):
 * k transfers per proof, a note tree of depth d, a nullifier set of depth n. k must be 1..64 and the
 * depths 2..32.
 */
export function parseCircuitName(name: string): CircuitSpec {
  const m = NAME.exec(name.trim());
  if (!m) throw new InvalidCircuitNameError(`circuit name "${name}" is not of the form k<K>-d<DEPTH>-n<NULL-DEPTH> (e.g. k1-d20-n21)`);
  const [k, depth, nullDepth] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  if (k < 1 || k > MAX_TRANSFERS_PER_PROOF) throw new InvalidCircuitNameError(`circuit name "${name}": transfers per proof must be 1..${MAX_TRANSFERS_PER_PROOF}, got ${k}`);
  for (const [what, d] of [['note-tree depth', depth], ['nullifier-set depth', nullDepth]] as const) {
    if (d < 2 || d > 32) throw new InvalidCircuitNameError(`circuit name "${name}": ${what} must be 2..32, got ${d}`);
  }
  return { circuit: 'transfer-batch', k, depth, nullDepth };
}

/**
 * The deployment's circuit: `DREX_CIRCUIT` (a name `parseCircuitName` takes) when set, else `builtIn`.
 * Every process of a deployment reads it, so one variable moves them all to another build.
 */
export function circuitFromEnv(builtIn: CircuitSpec, env: NodeJS.ProcessEnv = process.env): CircuitSpec {
  const name = env.DREX_CIRCUIT;
  if (name === undefined || name === '') return builtIn;
  try {
    return parseCircuitName(name);
  } catch (err) {
    throw new InvalidCircuitNameError(`DREX_CIRCUIT: ${(err as Error).message}`, { cause: err });
  }
}
