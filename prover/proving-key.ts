/**
 * A snarkjs Groth16 proving key (.zkey) held in memory, read into the header values and the sections
 * the prover needs. Points keep the zkey's layout: affine, coordinates little-endian in Montgomery form
 * (ffjavascript's layout, which its MSMs read directly); the identity is all zero bytes.
 */
import { BASE_FIELD_PRIME, SCALAR_ORDER } from '../protocol/bn254.ts';
import { leBigInt, readBinSections } from './bin-file.ts';
import { ProvingKeyError } from './errors.ts';

/** Bytes of one G1 point (affine) and one G2 point (affine), of one scalar, and of one QAP coefficient. */
export const G1_BYTES = 64;
export const G2_BYTES = 128;
export const SCALAR_BYTES = 32;
const COEF_BYTES = 12 + SCALAR_BYTES;
const GROTH16 = 1;

/** The sections of a proving key that proving reads (the zkey's section number in brackets). */
export interface ProvingKeySections {
  /** [4] u32 count, then (matrix 0|1, constraint, signal, coefficient * R^2) of the A and B matrices. */
  coefficients: Uint8Array;
  /** [5] A query, one G1 point per signal. */
  a: Uint8Array;
  /** [6] B query in G1, one point per signal. */
  b1: Uint8Array;
  /** [7] B query in G2, one point per signal. */
  b2: Uint8Array;
  /** [8] C query (private signals only, divided by delta), G1. */
  c: Uint8Array;
  /** [9] H query (divided by delta), one G1 point per domain element. */
  h: Uint8Array;
}

/** A Groth16 proving key: sizes, the header points the proof is completed with, and the queries. */
export interface ProvingKey {
  /** Number of signals, the constant 1 included (the witness length). */
  nVars: number;
  /** Number of public signals (outputs and public inputs; witness[1..nPublic]). */
  nPublic: number;
  /** Size of the evaluation domain, 2^power. */
  domainSize: number;
  power: number;
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  delta1: Uint8Array;
  delta2: Uint8Array;
  sections: ProvingKeySections;
}

function fail(message: string): never {
  throw new ProvingKeyError(`proving key: ${message}`);
}

function section(s: Map<number, Uint8Array>, type: number, size: number | null, what: string): Uint8Array {
  const b = s.get(type) ?? fail(`section ${type} (${what}) is missing`);
  if (size !== null && b.byteLength !== size) fail(`section ${type} (${what}) holds ${b.byteLength} bytes, expected ${size}`);
  return new Uint8Array(b);
}

/**
 * Reads a snarkjs Groth16 .zkey over BN254 from memory. Sections and points are copies, each in a
 * buffer of its own (a thread task clones a view's whole buffer, so views into the zkey would send all
 * of it to every task). Throws ProvingKeyError when the file is not such a key.
 */
export function readProvingKey(zkey: Uint8Array): ProvingKey {
  const s = readBinSections(zkey, 'zkey', (_p, detail) => new ProvingKeyError(`proving key: ${detail}`));
  const proto = section(s, 1, 4, 'protocol');
  if (new DataView(proto.buffer, proto.byteOffset, 4).getUint32(0, true) !== GROTH16) fail('not a Groth16 key');

  const h = section(s, 2, null, 'header');
  const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  let pos = 0;
  const u32 = () => {
    if (pos + 4 > h.byteLength) fail('header is truncated');
    const v = hv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const bytes = (n: number) => {
    if (pos + n > h.byteLength) fail('header is truncated');
    const b = new Uint8Array(h.subarray(pos, pos + n));
    pos += n;
    return b;
  };
  if (u32() !== 32 || leBigInt(bytes(32)) !== BASE_FIELD_PRIME) fail('base field is not BN254');
  if (u32() !== 32 || leBigInt(bytes(32)) !== SCALAR_ORDER) fail('scalar field is not BN254');
  const nVars = u32();
  const nPublic = u32();
  const domainSize = u32();
  const power = Math.log2(domainSize);
  if (!Number.isInteger(power) || power < 1 || power > 28) fail(`domain size ${domainSize} is not a power of two up to 2^28`);
  if (nVars < nPublic + 1) fail(`nVars ${nVars} is smaller than nPublic + 1 (${nPublic + 1})`);
  const alpha1 = bytes(G1_BYTES);
  const beta1 = bytes(G1_BYTES);
  const beta2 = bytes(G2_BYTES);
  bytes(G2_BYTES); // gamma2: only the verifier uses it
  const delta1 = bytes(G1_BYTES);
  const delta2 = bytes(G2_BYTES);

  const coefficients = section(s, 4, null, 'coefficients');
  checkCoefficients(coefficients, nVars, domainSize);
  return {
    nVars,
    nPublic,
    domainSize,
    power,
    alpha1,
    beta1,
    beta2,
    delta1,
    delta2,
    sections: {
      coefficients,
      a: section(s, 5, nVars * G1_BYTES, 'A'),
      b1: section(s, 6, nVars * G1_BYTES, 'B1'),
      b2: section(s, 7, nVars * G2_BYTES, 'B2'),
      c: section(s, 8, (nVars - nPublic - 1) * G1_BYTES, 'C'),
      h: section(s, 9, domainSize * G1_BYTES, 'H'),
    },
  };
}

/** Every coefficient names matrix A or B, a constraint inside the domain and an existing signal. */
function checkCoefficients(b: Uint8Array, nVars: number, domainSize: number): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.byteLength < 4) fail('coefficients section is truncated');
  const n = v.getUint32(0, true);
  if (b.byteLength !== 4 + n * COEF_BYTES) fail(`coefficients section holds ${b.byteLength} bytes for ${n} coefficients`);
  for (let i = 0, p = 4; i < n; i++, p += COEF_BYTES) {
    if (v.getUint32(p, true) > 1 || v.getUint32(p + 4, true) >= domainSize || v.getUint32(p + 8, true) >= nVars) {
      fail(`coefficient ${i} names a matrix, constraint or signal outside the key`);
    }
  }
}
