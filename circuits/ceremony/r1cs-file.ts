import { readFileSync } from 'node:fs';
import { FIELD_ORDER } from '../model/crypto.ts';
import { DrexError } from '../../protocol/errors.ts';

/** Raised when a file is not an R1CS file this setup can use. */
export class R1csFormatError extends DrexError {
  override name = 'R1csFormatError';
  readonly code = 'R1CS_INVALID';
}

/** An R1CS file (iden3 binary format) held in memory. */
export interface R1cs {
  nVars: number;
  /** Public outputs plus public inputs (snarkjs's `nPublic`, not counting the constant 1). */
  nPublic: number;
  nConstraints: number;
  /** The constraints section: per constraint, A, B and C as (count, then signal u32 + 32-byte coefficient). */
  constraints: Buffer;
}

/** One linear-combination term: matrix 0 = A, 1 = B, 2 = C. */
export type TermVisitor = (matrix: 0 | 1 | 2, constraint: number, signal: number, coefficient: bigint) => void;

/** Reads an R1CS file over BN254's scalar field, checking its structure. */
export function readR1cs(path: string): R1cs {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'r1cs') throw new R1csFormatError(`${path} is not an r1cs file`);
  const nSections = buf.readUInt32LE(8);
  let pos = 12;
  let header: Buffer | null = null;
  let constraints: Buffer | null = null;
  for (let i = 0; i < nSections; i++) {
    if (pos + 12 > buf.length) throw new R1csFormatError(`${path} is truncated`);
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    const start = pos + 12;
    if (start + size > buf.length) throw new R1csFormatError(`${path} is truncated in section ${type}`);
    if (type === 1) header = buf.subarray(start, start + size);
    if (type === 2) constraints = buf.subarray(start, start + size);
    pos = start + size;
  }
  if (!header || !constraints) throw new R1csFormatError(`${path} lacks its header or constraints section`);
  const n8 = header.readUInt32LE(0);
  if (n8 !== 32 || readLe(header, 4) !== FIELD_ORDER) throw new R1csFormatError(`${path} is not over the BN254 scalar field`);
  const h = 4 + n8;
  return {
    nVars: header.readUInt32LE(h),
    nPublic: header.readUInt32LE(h + 4) + header.readUInt32LE(h + 8),
    nConstraints: header.readUInt32LE(h + 24),
    constraints,
  };
}

/** Little-endian 32-byte integer at `offset`. */
export function readLe(buf: Buffer, offset: number): bigint {
  return (
    buf.readBigUInt64LE(offset) |
    (buf.readBigUInt64LE(offset + 8) << 64n) |
    (buf.readBigUInt64LE(offset + 16) << 128n) |
    (buf.readBigUInt64LE(offset + 24) << 192n)
  );
}

/** Calls `visit` for every term of every constraint, in file order. */
export function forEachTerm(r1cs: R1cs, visit: TermVisitor): void {
  const b = r1cs.constraints;
  let pos = 0;
  for (let c = 0; c < r1cs.nConstraints; c++) {
    for (const m of [0, 1, 2] as const) {
      const n = b.readUInt32LE(pos);
      pos += 4;
      for (let k = 0; k < n; k++) {
        const s = b.readUInt32LE(pos);
        if (s >= r1cs.nVars) throw new R1csFormatError(`constraint ${c} names signal ${s} of ${r1cs.nVars}`);
        visit(m, c, s, readLe(b, pos + 4));
        pos += 36;
      }
    }
  }
  if (pos !== b.length) throw new R1csFormatError(`constraints section has ${b.length - pos} unread bytes`);
}
