import { closeSync, openSync, writeSync } from 'node:fs';
import { FIELD_ORDER } from '../model/crypto.ts';
import { toLeBytes } from './scalar-field.ts';

export interface SyntheticCircuit {
  constraints: number;
  /** Public inputs (besides the constant 1). */
  publicInputs: number;
}

/**
 * Writes an R1CS file of exactly `constraints` constraints over BN254 with a realistic mix of sparse
 * terms (about 2 in A, 2 in B and 1 in C per constraint, some with full-width coefficients), for timing
 * and testing the setup at sizes no real circuit of this project has yet. It has no witness generator:
 * it is for making keys, not proofs.
 */
export function writeSyntheticR1cs(path: string, c: SyntheticCircuit): void {
  const nPub = c.publicInputs;
  const nVars = 1 + nPub + c.constraints;
  // A fixed full-width coefficient, so the file is reproducible.
  const wide = toLeBytes([(FIELD_ORDER * 2n) / 3n]);
  const one = toLeBytes([1n]);
  // Per constraint: A = prev + k*pub (2 terms), B = k*prev + 1 (2 terms), C = out (1 term): 192 bytes.
  const per = 3 * 4 + 5 * 36;
  const body = Buffer.alloc(per * c.constraints);
  let pos = 0;
  const count = (n: number) => {
    body.writeUInt32LE(n, pos);
    pos += 4;
  };
  const term = (signal: number, coef: Uint8Array) => {
    body.writeUInt32LE(signal, pos);
    body.set(coef, pos + 4);
    pos += 36;
  };
  for (let i = 0; i < c.constraints; i++) {
    const out = 1 + nPub + i;
    const prev = i === 0 ? 0 : out - 1;
    const pub = nPub > 0 && i % 3 === 0 ? 1 + (i % nPub) : 0;
    count(2);
    term(prev, one);
    term(pub, wide);
    count(2);
    term(prev, wide);
    term(0, one);
    count(1);
    term(out, one);
  }
  const header = Buffer.alloc(4 + 32 + 4 * 4 + 8 + 4);
  header.writeUInt32LE(32, 0);
  header.set(toLeBytes([FIELD_ORDER]), 4);
  header.writeUInt32LE(nVars, 36);
  header.writeUInt32LE(0, 40); // outputs
  header.writeUInt32LE(nPub, 44);
  header.writeUInt32LE(0, 48); // private inputs
  header.writeBigUInt64LE(BigInt(nVars), 52);
  header.writeUInt32LE(c.constraints, 60);
  const labels = Buffer.alloc(8 * nVars);
  for (let i = 0; i < nVars; i++) labels.writeBigUInt64LE(BigInt(i), 8 * i);
  const fd = openSync(path, 'w');
  try {
    const head = Buffer.alloc(12);
    head.write('r1cs', 0, 'latin1');
    head.writeUInt32LE(1, 4);
    head.writeUInt32LE(3, 8);
    writeSync(fd, head);
    writeSync(fd, sectionHeader(1, header.length));
    writeSync(fd, header);
    writeSync(fd, sectionHeader(2, body.length));
    writeSync(fd, body);
    writeSync(fd, sectionHeader(3, labels.length));
    writeSync(fd, labels);
  } finally {
    closeSync(fd);
  }
}

function sectionHeader(type: number, size: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(type, 0);
  b.writeBigUInt64LE(BigInt(size), 4);
  return b;
}
