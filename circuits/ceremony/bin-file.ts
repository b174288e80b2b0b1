import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * Writes an iden3 binary container (the format of snarkjs's .zkey and .ptau files): a 4-byte magic,
 * version 1, the section count, then each section as its type (u32), byte length (u64) and bytes.
 */
export function writeBinFile(path: string, magic: 'zkey' | 'ptau', sections: readonly [number, Uint8Array][]): void {
  const fd = openSync(path, 'w');
  try {
    const head = Buffer.alloc(12);
    head.write(magic, 0, 'latin1');
    head.writeUInt32LE(1, 4);
    head.writeUInt32LE(sections.length, 8);
    writeSync(fd, head);
    for (const [type, data] of sections) {
      const sh = Buffer.alloc(12);
      sh.writeUInt32LE(type, 0);
      sh.writeBigUInt64LE(BigInt(data.byteLength), 4);
      writeSync(fd, sh);
      let off = 0;
      while (off < data.byteLength) off += writeSync(fd, data, off, Math.min(1 << 26, data.byteLength - off));
    }
  } finally {
    closeSync(fd);
  }
}

/** Where a section's bytes are in a binary container file. */
export interface SectionSpan {
  pos: number;
  size: number;
}

/** Why a container's section table could not be read: another magic, or a truncated file. */
export type SectionTableProblem = 'magic' | 'truncated';

/**
 * Reads the section table of an iden3 binary container (only the table, not the sections), keyed by
 * section type (the first occurrence of each). `onProblem` turns a problem into the caller's error.
 */
export function readSectionTable(path: string, magic: 'zkey' | 'ptau' | 'r1cs', onProblem: (p: SectionTableProblem) => Error): Map<number, SectionSpan> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) < 12 || head.toString('latin1', 0, 4) !== magic) throw onProblem('magic');
    const table = new Map<number, SectionSpan>();
    const sh = Buffer.alloc(12);
    let pos = 12;
    for (let i = 0, n = head.readUInt32LE(8); i < n; i++) {
      if (readSync(fd, sh, 0, 12, pos) < 12) throw onProblem('truncated');
      const type = sh.readUInt32LE(0);
      const span = { pos: pos + 12, size: Number(sh.readBigUInt64LE(4)) };
      if (span.pos + span.size > size) throw onProblem('truncated');
      if (!table.has(type)) table.set(type, span);
      pos = span.pos + span.size;
    }
    return table;
  } finally {
    closeSync(fd);
  }
}

/** Reads `span` of the file at `path`. */
export function readSpan(path: string, span: SectionSpan): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(span.size);
    readSync(fd, b, 0, span.size, span.pos);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** Hands out consecutive runs of fixed-size points from one buffer: `take(count)`. */
export function pointCursor(points: Uint8Array, pointBytes: number): (count: number) => Uint8Array {
  let at = 0;
  return (count) => points.subarray(at * pointBytes, (at += count) * pointBytes);
}

/** A little-endian u32. */
export function u32(v: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

/** Concatenates byte strings. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** The sections of a snarkjs Groth16 proving key (.zkey), each already encoded. */
export interface ZkeySections {
  /** 2: field sizes and primes, nVars, nPublic, domain size, alpha1, beta1, beta2, gamma2, delta1, delta2. */
  header: Uint8Array;
  /** 3: IC, one G1 point per public signal and the constant 1. */
  ic: Uint8Array;
  /** 4: count, then (matrix, constraint, signal, coefficient * R^2) for the A and B matrices. */
  coefficients: Uint8Array;
  /** 5, 6, 7: A (G1), B (G1) and B (G2) per signal. */
  a: Uint8Array;
  b1: Uint8Array;
  b2: Uint8Array;
  /** 8: the private signals' C query, divided by delta. */
  c: Uint8Array;
  /** 9: the H query, divided by delta. */
  h: Uint8Array;
  /** 10: the circuit hash and the contributions. */
  mpc: Uint8Array;
}

/** Writes a snarkjs Groth16 zkey (the caller writes into a temporary directory: whole or not at all). */
export function writeZkey(path: string, s: ZkeySections): void {
  writeBinFile(path, 'zkey', [
    [1, u32(1)], // Groth16
    [2, s.header],
    [3, s.ic],
    [4, s.coefficients],
    [5, s.a],
    [6, s.b1],
    [7, s.b2],
    [8, s.c],
    [9, s.h],
    [10, s.mpc],
  ]);
}
