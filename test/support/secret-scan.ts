/**
 * Looks for secret values in bytes and text in the encodings a careless component might use: decimal
 * and hex text (bare or 0x, padded to 64 digits or not), 32-byte little- and big-endian bytes (and 8-byte
 * ones for values below 2^64, for values with at least 4 non-zero bytes), and base64 of any of those bytes (every base64-looking run that is not plain
 * hex is decoded at each of its four alignments). Indexed (a 4-byte key behind a bit filter), so that hundreds of MB are
 * scanned for tens of thousands of secrets.
 */

/** Smallest value searched for: below it, values are too common to be told from noise. */
export const MIN_SECRET = 1n << 32n;

interface ByteNeedle {
  bytes: Buffer;
  /** Offset of the 4-byte key window inside `bytes`. */
  off: number;
  label: string;
}

/** The 4 bytes at `p` as a signed 32-bit integer (little-endian), the key of the byte index. */
const keyAt = (b: Uint8Array, p: number) => b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
/** Bits of the prefilter: a key whose bit is clear is no needle's. */
const FILTER_BITS = 1 << 24;

function fixed(v: bigint, n: number, le: boolean): Buffer {
  const b = Buffer.alloc(n);
  let x = v;
  for (let i = 0; i < n; i++) {
    b[le ? i : n - 1 - i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

const KEY = 4;

/** Where in `bytes` the key window has the most non-zero bytes (the rarest window to meet by chance). */
function keyWindow(bytes: Buffer): number {
  let best = 0;
  let bestScore = -1;
  for (let p = 0; p + KEY <= bytes.length; p++) {
    let score = 0;
    for (let i = 0; i < KEY; i++) if (bytes[p + i] !== 0) score++;
    if (score > bestScore) [best, bestScore] = [p, score];
  }
  return best;
}
const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;

export class SecretIndex {
  private readonly decimal = new Map<string, string>();
  private readonly hex = new Map<string, string>();
  private readonly bytes = new Map<number, ByteNeedle[]>();
  private readonly filter = new Uint8Array(FILTER_BITS / 8);
  readonly size: number;

  /** `secrets`: label and value; values below MIN_SECRET are left out. */
  constructor(secrets: Iterable<{ label: string; value: bigint }>) {
    let n = 0;
    for (const { label, value } of secrets) {
      if (value < MIN_SECRET) continue;
      n++;
      this.decimal.set(value.toString(10), label);
      this.hex.set(value.toString(16), label);
      const encodings = [fixed(value, 32, true), fixed(value, 32, false)];
      if (value < 1n << 64n) encodings.push(fixed(value, 8, true), fixed(value, 8, false));
      for (const bytes of encodings) {
        // Bytes of a value with few non-zero bytes (2^63, say) are everywhere: its text forms are searched.
        if (bytes.filter((b) => b !== 0).length < 4) continue;
        const off = keyWindow(bytes);
        const k = keyAt(bytes, off);
        this.filter[(k & (FILTER_BITS - 1)) >>> 3]! |= 1 << (k & 7);
        const list = this.bytes.get(k) ?? [];
        list.push({ bytes, off, label });
        this.bytes.set(k, list);
      }
    }
    this.size = n;
  }

  /** Labels of the secrets found in `data` (with where: text, bytes or base64). */
  scan(data: Uint8Array | string): string[] {
    const raw = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const found = new Set<string>();
    this.scanBytes(raw, 'bytes', found);
    const latin = raw.toString('latin1');
    const text = latin.toLowerCase();
    for (const m of text.matchAll(/\d{10,}/g)) {
      const label = this.decimal.get(m[0].replace(/^0+/, ''));
      if (label) found.add(`${label} (decimal)`);
    }
    for (const m of text.matchAll(/[0-9a-f]{9,}/g)) {
      const run = m[0];
      // A run of digits only is a decimal number unless it follows 0x.
      if (/^\d+$/.test(run) && text.slice(m.index - 2, m.index) !== '0x') continue;
      const check = (s: string) => {
        const label = this.hex.get(s.replace(/^0+/, ''));
        if (label) found.add(`${label} (hex)`);
      };
      check(run);
      // Concatenated 64-digit values (e.g. a hex dump of consecutive field elements).
      if (run.length > 64) for (let i = 0; i + 64 <= run.length; i += 64) check(run.slice(i, i + 64));
    }
    for (const m of latin.matchAll(BASE64_RUN)) {
      const run = m[0];
      // Runs of plain hex or digits were searched as text above.
      if (/^[0-9a-f]+$/.test(run) || /^[0-9A-F]+$/.test(run)) continue;
      const url = run.includes('-') || run.includes('_');
      for (let skip = 0; skip < 4; skip++) this.scanBytes(Buffer.from(run.slice(skip), url ? 'base64url' : 'base64'), 'base64', found);
    }
    return [...found];
  }

  private scanBytes(buf: Buffer, how: string, found: Set<string>): void {
    const filter = this.filter;
    for (let p = 0; p + KEY <= buf.length; p++) {
      const k = keyAt(buf, p);
      if ((filter[(k & (FILTER_BITS - 1)) >>> 3]! & (1 << (k & 7))) === 0) continue;
      const list = this.bytes.get(k);
      if (!list) continue;
      for (const n of list) {
        const start = p - n.off;
        if (start >= 0 && start + n.bytes.length <= buf.length && buf.subarray(start, start + n.bytes.length).equals(n.bytes)) found.add(`${n.label} (${how})`);
      }
    }
  }
}
