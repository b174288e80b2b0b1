import { existsSync, statSync } from 'node:fs';
import { readSectionTable, readSpan } from './bin-file.ts';
import { DrexError } from '../../protocol/errors.ts';

/** Raised when an external powers-of-tau file cannot be used. */
export class PtauError extends DrexError {
  override name = 'PtauError';
  readonly code = 'PTAU_INVALID';
}

/** A phase-2-ready powers-of-tau file from a public ceremony, as the operator supplied it. */
export interface ExternalPtau {
  path: string;
  /** log2 of the largest circuit domain it supports. */
  power: number;
}

/**
 * Checks that `path` is a snarkjs powers-of-tau file over BN254, prepared for phase 2 (it has the
 * Lagrange sections), and large enough for a domain of 2^`needPower`. It reads only the section table.
 */
export function openExternalPtau(path: string, needPower: number): ExternalPtau {
  if (!existsSync(path) || !statSync(path).isFile()) throw new PtauError(`powers-of-tau file not found: ${path} (from --ptau or DREX_PTAU)`);
  const table = readSectionTable(path, 'ptau', (p) => new PtauError(p === 'magic' ? `${path} is not a powers-of-tau file` : `${path} is truncated`));
  const headerSpan = table.get(1);
  if (!headerSpan) throw new PtauError(`${path} has no header section`);
  const header = readSpan(path, headerSpan);
  if (header.length < 44 || header.readUInt32LE(0) !== 32) throw new PtauError(`${path} is not over BN254`);
  const power = header.readUInt32LE(36);
  if (!table.has(12)) throw new PtauError(`${path} is not prepared for phase 2 (run \`snarkjs powersoftau prepare phase2\` on it)`);
  if (power < needPower) throw new PtauError(`${path} has power ${power}; this circuit needs at least ${needPower}`);
  return { path, power };
}
