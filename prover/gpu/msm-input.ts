/**
 * Checks MSM inputs before any GPU work: bases are 64-byte affine points (x, y little-endian, each
 * below p), scalars 32 bytes per base. Also finds the bases at infinity (x = y = 0), which the
 * bucket plan leaves out, and gives the bases as u32 words.
 */
import { BN254_P } from './field-layout.ts';
import { MsmInputError } from './errors.ts';

/** Validated inputs: the point count, the bases as little-endian u32 words, and which bases are the identity. */
export interface MsmInput {
  n: number;
  baseWords: Uint32Array<ArrayBuffer>;
  infinity: Uint8Array;
  scalars: Uint8Array;
}

const P_WORDS = Array.from({ length: 8 }, (_, i) => Number((BN254_P >> BigInt(32 * i)) & 0xffffffffn));

/** Whether the 8 little-endian words at `at` are below p. */
function belowP(words: Uint32Array, at: number): boolean {
  for (let i = 7; i >= 0; i--) {
    const w = words[at + i]!;
    if (w !== P_WORDS[i]) return w < P_WORDS[i]!;
  }
  return false;
}

/** The bytes as little-endian u32 words (a copy, so the caller's buffer is never shared). */
function toWords(bytes: Uint8Array): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array(bytes.byteLength / 4);
  new Uint8Array(words.buffer).set(bytes);
  return words;
}

/** Validates `bases` and `scalars`; MsmInputError names the first problem. */
export function checkMsmInput(bases: Uint8Array, scalars: Uint8Array): MsmInput {
  if (bases.byteLength % 64 !== 0) throw new MsmInputError(`bases hold ${bases.byteLength} bytes, not a multiple of 64`);
  const n = bases.byteLength / 64;
  if (scalars.byteLength !== n * 32) {
    throw new MsmInputError(`scalars hold ${scalars.byteLength} bytes, ${n} bases need ${n * 32}`);
  }
  const baseWords = toWords(bases);
  const infinity = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (const [k, name] of [[0, 'x'], [8, 'y']] as const) {
      if (!belowP(baseWords, 16 * i + k)) throw new MsmInputError(`base ${i}: coordinate ${name} is not below p`);
    }
    let any = 0;
    for (let k = 0; k < 16; k++) any |= baseWords[16 * i + k]!;
    infinity[i] = any === 0 ? 1 : 0;
  }
  return { n, baseWords, infinity, scalars };
}
