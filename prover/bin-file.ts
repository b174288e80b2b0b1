/**
 * The iden3 binary container that snarkjs's .zkey and .wtns files use, read from memory: a 4-byte
 * magic, a u32 version, a u32 section count, then each section as its type (u32), byte length (u64)
 * and bytes. Sections are returned as views into the input (no copy).
 */

/** Why a container could not be read: another magic, or a truncated or duplicated section table. */
export type BinFileProblem = 'magic' | 'truncated' | 'duplicate';

/**
 * The sections of a container held in `data`, keyed by type. Each type must occur once.
 * `onProblem` turns a problem into the caller's error.
 */
export function readBinSections(data: Uint8Array, magic: string, onProblem: (p: BinFileProblem, detail: string) => Error): Map<number, Uint8Array> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 12 || String.fromCharCode(...data.subarray(0, 4)) !== magic) throw onProblem('magic', `not a ${magic} file`);
  const sections = new Map<number, Uint8Array>();
  let pos = 12;
  for (let i = 0, n = view.getUint32(8, true); i < n; i++) {
    if (pos + 12 > data.byteLength) throw onProblem('truncated', `section table ends at byte ${pos}`);
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    const start = pos + 12;
    if (start + size > data.byteLength) throw onProblem('truncated', `section ${type} runs past the end`);
    if (sections.has(type)) throw onProblem('duplicate', `section ${type} occurs twice`);
    sections.set(type, data.subarray(start, start + size));
    pos = start + size;
  }
  return sections;
}

/** A little-endian unsigned integer of `bytes.length` bytes. */
export function leBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}
