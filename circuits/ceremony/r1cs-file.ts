import { FIELD_ORDER } from '../model/crypto.ts';
import { DrexError } from '../../protocol/errors.ts';
import { readSectionTable, readSpan } from './bin-file.ts';

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

/** The sizes an R1CS file declares. */
export type R1csHeader = Omit<R1cs, 'constraints'>;

function sections(path: string) {
  const table = readSectionTable(path, 'r1cs', (p) => new R1csFormatError(p === 'magic' ? `${path} is not an r1cs file` : `${path} is truncated`));
  const header = table.get(1);
  const constraints = table.get(2);
  if (!header || !constraints) throw new R1csFormatError(`${path} lacks its header or constraints section`);
  return { header, constraints };
}

/** Reads only an R1CS file's header (sizes), checking that it is over BN254's scalar field. */
export function readR1csHeader(path: string): R1csHeader {
  const header = readSpan(path, sections(path).header);
  if (header.length < 64 || header.readUInt32LE(0) !== 32 || readLe(header, 4) !== FIELD_ORDER) {
    throw new R1csFormatError(`${path} is not over the BN254 scalar field`);
  }
  return {
    nVars: header.readUInt32LE(36),
    nPublic: header.readUInt32LE(40) + header.readUInt32LE(44),
    nConstraints: header.readUInt32LE(60),
  };
}

/** Reads an R1CS file over BN254's scalar field, its constraints included, checking its structure. */
export function readR1cs(path: string): R1cs {
  return { ...readR1csHeader(path), constraints: readSpan(path, sections(path).constraints) };
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
