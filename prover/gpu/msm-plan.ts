/**
 * The CPU half of the Pippenger MSM: the window width, each scalar's signed digits, and the buckets
 * as a CSR layout the kernels walk.
 *
 * A scalar below 2^254 splits into `windows` digits of `windowBits` bits; a digit above 2^(c-1) becomes
 * digit - 2^c with a carry into the next window, so every digit lies in [-2^(c-1), 2^(c-1)] and the
 * point goes, negated when the digit is, to bucket |digit| of its window (digit 0: nowhere). The
 * entries (point index, sign in bit 31) are sorted by bucket with a counting sort, then cut into
 * chunks of at most `chunkSize` entries, each summed by one GPU thread; a bucket's chunks are contiguous.
 */
import { BN254_R } from './field-layout.ts';

/** The bucket layout of one MSM. */
export interface MsmPlan {
  windowBits: number;
  windows: number;
  /** 2^(windowBits - 1): digits 1..bucketsPerWindow, bucket b of window w at w * bucketsPerWindow + b - 1. */
  bucketsPerWindow: number;
  /** Point index | (negated << 31), grouped by bucket. */
  entries: Uint32Array<ArrayBuffer>;
  /** chunkOffsets[k]..chunkOffsets[k + 1]: chunk k's entries. */
  chunkOffsets: Uint32Array<ArrayBuffer>;
  /** bucketChunks[b]..bucketChunks[b + 1]: bucket b's chunks. */
  bucketChunks: Uint32Array<ArrayBuffer>;
}

/** Bits of a scalar the windows cover with room for the last carry: scalars are below 2^254. */
const SCALAR_BITS = 254;
/** About how many chunk threads to aim for. */
const TARGET_CHUNKS = 1 << 14;

/** The window width minimising windows * (n + 2^c) (bucket additions plus their reduction), in 4..16. */
export function windowBitsFor(n: number): number {
  let best = 4;
  let bestCost = Infinity;
  for (let c = 4; c <= 16; c++) {
    const cost = Math.ceil((SCALAR_BITS + 1) / c) * (n + 2 ** c);
    if (cost < bestCost) [best, bestCost] = [c, cost];
  }
  return best;
}

/** Scalar i as 32 little-endian bytes below 2^254 (those at or above it are reduced mod r, the order of G1). */
function scalarBytes(scalars: Uint8Array, i: number, scratch: Uint8Array): Uint8Array {
  const bytes = scalars.subarray(32 * i, 32 * i + 32);
  if (bytes[31]! < 0x40) return bytes;
  let s = 0n;
  for (let k = 31; k >= 0; k--) s = (s << 8n) | BigInt(bytes[k]!);
  s %= BN254_R;
  for (let k = 0; k < 32; k++) scratch[k] = Number((s >> BigInt(8 * k)) & 0xffn);
  return scratch;
}

/** The `c` bits of `bytes` (little-endian) from bit `at` (c <= 16). */
function bitsAt(bytes: Uint8Array, at: number, c: number): number {
  const byte = at >> 3;
  const word = (bytes[byte] ?? 0) | ((bytes[byte + 1] ?? 0) << 8) | ((bytes[byte + 2] ?? 0) << 16);
  return (word >>> (at & 7)) & ((1 << c) - 1);
}

/** The signed digits of every scalar, windows * n of them (window-major), 0 for bases at infinity. */
export function signedDigits(scalars: Uint8Array, skip: Uint8Array, c: number, windows: number): Int32Array {
  const n = skip.length;
  const digits = new Int32Array(windows * n);
  const scratch = new Uint8Array(32);
  const half = 1 << (c - 1);
  for (let i = 0; i < n; i++) {
    if (skip[i]) continue;
    const bytes = scalarBytes(scalars, i, scratch);
    let carry = 0;
    for (let w = 0; w < windows; w++) {
      let d = bitsAt(bytes, w * c, c) + carry;
      carry = d > half && w < windows - 1 ? 1 : 0;
      if (carry) d -= 1 << c;
      digits[w * n + i] = d;
    }
  }
  return digits;
}

/** The bucket layout for `scalars` (32 bytes each) over bases of which `infinity` marks the identities. */
export function planMsm(scalars: Uint8Array, infinity: Uint8Array, windowBits = windowBitsFor(infinity.length)): MsmPlan {
  const n = infinity.length;
  const windows = Math.ceil((SCALAR_BITS + 1) / windowBits);
  const bucketsPerWindow = 1 << (windowBits - 1);
  const buckets = windows * bucketsPerWindow;
  const digits = signedDigits(scalars, infinity, windowBits, windows);

  const bucketOf = (k: number) => Math.floor(k / n) * bucketsPerWindow + Math.abs(digits[k]!) - 1;
  const starts = new Uint32Array(buckets + 1);
  for (let k = 0; k < digits.length; k++) if (digits[k] !== 0) starts[bucketOf(k) + 1]!++;
  let longest = 0;
  for (let b = 0; b < buckets; b++) {
    longest = Math.max(longest, starts[b + 1]!);
    starts[b + 1]! += starts[b]!;
  }
  const entries = new Uint32Array(starts[buckets]!);
  const fill = starts.slice(0, buckets);
  for (let k = 0; k < digits.length; k++) {
    const d = digits[k]!;
    if (d !== 0) entries[fill[bucketOf(k)]!++] = (k % n) | (d < 0 ? 0x80000000 : 0);
  }

  // Chunks short enough to spread the work, and no bucket with more chunks than a chunk has entries.
  const chunkSize = Math.max(1, Math.ceil(entries.length / TARGET_CHUNKS), Math.ceil(Math.sqrt(longest)));
  const bucketChunks = new Uint32Array(buckets + 1);
  for (let b = 0; b < buckets; b++) bucketChunks[b + 1] = bucketChunks[b]! + Math.ceil((starts[b + 1]! - starts[b]!) / chunkSize);
  const chunkOffsets = new Uint32Array(bucketChunks[buckets]! + 1);
  for (let b = 0, k = 0; b < buckets; b++) {
    for (let at = starts[b]!; at < starts[b + 1]!; at += chunkSize) chunkOffsets[k++] = at;
  }
  chunkOffsets[chunkOffsets.length - 1] = entries.length;
  return { windowBits, windows, bucketsPerWindow, entries, chunkOffsets, bucketChunks };
}
