import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
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
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const head = Buffer.alloc(12);
    readSync(fd, head, 0, 12, 0);
    if (head.toString('latin1', 0, 4) !== 'ptau') throw new PtauError(`${path} is not a powers-of-tau file`);
    const nSections = head.readUInt32LE(8);
    let pos = 12;
    let power = -1;
    const seen = new Set<number>();
    const sh = Buffer.alloc(12);
    for (let i = 0; i < nSections; i++) {
      if (pos + 12 > size) throw new PtauError(`${path} is truncated`);
      readSync(fd, sh, 0, 12, pos);
      const type = sh.readUInt32LE(0);
      const len = Number(sh.readBigUInt64LE(4));
      seen.add(type);
      if (type === 1) {
        const h = Buffer.alloc(Math.min(len, 48));
        readSync(fd, h, 0, h.length, pos + 12);
        const n8 = h.readUInt32LE(0);
        if (n8 !== 32) throw new PtauError(`${path} is not over BN254`);
        power = h.readUInt32LE(4 + n8);
      }
      pos += 12 + len;
    }
    if (pos > size) throw new PtauError(`${path} is truncated`);
    if (!seen.has(12)) throw new PtauError(`${path} is not prepared for phase 2 (run \`snarkjs powersoftau prepare phase2\` on it)`);
    if (power < needPower) throw new PtauError(`${path} has power ${power}; this circuit needs at least ${needPower}`);
    return { path, power };
  } finally {
    closeSync(fd);
  }
}
