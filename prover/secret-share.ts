/**
 * Additive secret sharing of scalar vectors mod r (the BN254 scalar field): x = share0 + share1 mod r.
 *
 * share0 is expanded from a 32-byte seed: the AES-256-CTR keystream under the seed (zero IV) is cut
 * into 32-byte little-endian chunks, each masked to 254 bits; chunks >= r are skipped (rejection
 * sampling, ~24% of them), so every element is uniform in [0, r). share1 = x - share0 mod r is then
 * uniform too: either share alone says nothing about x. The expansion is prefix-stable (the first k
 * elements do not depend on n), so a worker can be sent the seed instead of share0.
 *
 * A seed must never share two vectors (the difference of their second shares would be the difference
 * of the secrets): `splitMsmScalars` shares a prove's witness and quotient as one vector.
 *
 * The arithmetic runs over 32-bit limbs in plain JS (no BigInt per element); it is on the latency path
 * of the trusted stage.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import { SCALAR_ORDER } from '../protocol/bn254.ts';
import { ScalarVectorError } from './errors.ts';
import { SCALAR_BYTES } from './proving-key.ts';
import type { MsmScalars } from './witness-stage.ts';

/** Bytes of a share seed (an AES-256 key). */
export const SEED_BYTES = 32;
const LIMBS = 8;
const TOP_MASK = 0x3fffffff; // 254 bits: the top limb keeps 30
const ZERO_IV = Buffer.alloc(16);

if (endianness() !== 'LE') throw new Error('prover/secret-share.ts reads scalars as little-endian 32-bit words');

/** r as eight little-endian 32-bit limbs. */
const R = Uint32Array.from({ length: LIMBS }, (_, i) => Number((SCALAR_ORDER >> BigInt(32 * i)) & 0xffffffffn));
const R0 = R[0]!, R1 = R[1]!, R2 = R[2]!, R3 = R[3]!, R4 = R[4]!, R5 = R[5]!, R6 = R[6]!, R7 = R[7]!;

/** True when the 8 limbs of `a` at `o` are < r. */
function belowR(a: Uint32Array, o: number): boolean {
  for (let k = LIMBS - 1; k >= 0; k--) {
    const x = a[o + k]!;
    const m = R[k]!;
    if (x !== m) return x < m;
  }
  return false;
}

/** A 4-byte-aligned Uint32Array over `b` (copied when its offset is not aligned). */
function words(b: Uint8Array): Uint32Array {
  const own = b.byteOffset % 4 === 0 ? b : b.slice();
  return new Uint32Array(own.buffer, own.byteOffset, own.byteLength / 4);
}

/** A fresh random 32-byte seed. */
export function randomSeed(): Uint8Array {
  return new Uint8Array(randomBytes(SEED_BYTES));
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.byteLength !== SEED_BYTES) throw new ScalarVectorError(`a share seed is ${SEED_BYTES} bytes`);
}

function count(scalars: Uint8Array, what: string): number {
  if (scalars.byteLength % SCALAR_BYTES !== 0) throw new ScalarVectorError(`${what} holds ${scalars.byteLength} bytes, not a whole number of 32-byte scalars`);
  return scalars.byteLength / SCALAR_BYTES;
}

/** The first share of an n-scalar vector: n uniform elements of [0, r) expanded from `seed`. */
export function expandShare(seed: Uint8Array, n: number): Uint8Array {
  checkSeed(seed);
  if (!Number.isSafeInteger(n) || n < 0) throw new ScalarVectorError(`cannot expand a share of ${n} scalars`);
  const out = new Uint8Array(n * SCALAR_BYTES);
  const o32 = new Uint32Array(out.buffer);
  const cipher = createCipheriv('aes-256-ctr', seed, ZERO_IV);
  let filled = 0;
  while (filled < n) {
    // ~1.32 chunks per accepted element on average; the margin makes a second round rare.
    const chunks = Math.ceil((n - filled) * 1.36) + 16;
    const ks = words(cipher.update(Buffer.alloc(chunks * SCALAR_BYTES)));
    for (let j = 0; j < chunks && filled < n; j++) {
      const o = j * LIMBS;
      ks[o + 7] = ks[o + 7]! & TOP_MASK;
      if (!belowR(ks, o)) continue;
      const t = filled * LIMBS;
      for (let k = 0; k < LIMBS; k++) o32[t + k] = ks[o + k]!;
      filled++;
    }
  }
  return out;
}

/** x - share0 mod r per element, both canonical (< r); throws on a scalar of `scalars` that is not. */
function subtractShare(scalars: Uint8Array, share0: Uint8Array): Uint8Array {
  const n = scalars.byteLength / SCALAR_BYTES;
  const out = new Uint8Array(scalars.byteLength);
  const x = words(scalars);
  const s = words(share0);
  const d = new Uint32Array(out.buffer);
  for (let i = 0, o = 0; i < n; i++, o += LIMBS) {
    if (!belowR(x, o)) throw new ScalarVectorError(`scalar ${i} is not below the scalar field order r`);
    let borrow = 0;
    for (let k = 0; k < LIMBS; k++) {
      const v = x[o + k]! - s[o + k]! - borrow;
      borrow = v < 0 ? 1 : 0;
      d[o + k] = v; // stored mod 2^32
    }
    if (borrow) {
      // The difference went below zero: add r back (the final carry out cancels the borrow).
      let v = d[o]! + R0;
      d[o] = v;
      v = d[o + 1]! + R1 + (v > 0xffffffff ? 1 : 0);
      d[o + 1] = v;
      v = d[o + 2]! + R2 + (v > 0xffffffff ? 1 : 0);
      d[o + 2] = v;
      v = d[o + 3]! + R3 + (v > 0xffffffff ? 1 : 0);
      d[o + 3] = v;
      v = d[o + 4]! + R4 + (v > 0xffffffff ? 1 : 0);
      d[o + 4] = v;
      v = d[o + 5]! + R5 + (v > 0xffffffff ? 1 : 0);
      d[o + 5] = v;
      v = d[o + 6]! + R6 + (v > 0xffffffff ? 1 : 0);
      d[o + 6] = v;
      d[o + 7] = d[o + 7]! + R7 + (v > 0xffffffff ? 1 : 0);
    }
  }
  return out;
}

/**
 * Splits `scalars` (32-byte little-endian, each < r) into [share0, share1] with share0 =
 * expandShare(seed, n) and share0 + share1 = scalars mod r. Use a fresh seed per vector.
 */
export function splitScalars(scalars: Uint8Array, seed: Uint8Array): [Uint8Array, Uint8Array] {
  const share0 = expandShare(seed, count(scalars, 'the vector to share'));
  return [share0, subtractShare(scalars, share0)];
}

/** The first share of a prove's scalars (witness then quotient, one expansion of `seed`). */
export function expandMsmShare(seed: Uint8Array, sizes: { nVars: number; domainSize: number }): MsmScalars {
  const all = expandShare(seed, sizes.nVars + sizes.domainSize);
  const cut = sizes.nVars * SCALAR_BYTES;
  return { witness: all.slice(0, cut), quotient: all.slice(cut) };
}

/**
 * Splits a prove's witness and quotient into two additive shares under one seed (one expansion over
 * both, so no element of share0 is used twice). The first share equals expandMsmShare(seed, sizes).
 */
export function splitMsmScalars(scalars: MsmScalars, seed: Uint8Array): [MsmScalars, MsmScalars] {
  const nVars = count(scalars.witness, 'the witness');
  const domainSize = count(scalars.quotient, 'the quotient');
  const share0 = expandMsmShare(seed, { nVars, domainSize });
  return [share0, { witness: subtractShare(scalars.witness, share0.witness), quotient: subtractShare(scalars.quotient, share0.quotient) }];
}
