// A thread that multiplies one group generator by many scalars with a precomputed window table, using its
// own single-threaded instance of ffjavascript's BN254 WebAssembly (no per-operation message passing).
import { parentPort } from 'node:worker_threads';
import { buildBn128 } from 'ffjavascript';
import { AFFINE_BYTES, SCALAR_BITS, SCALAR_BYTES, type Group, type ThreadReply, type ThreadRequest } from './fixed-base-messages.ts';

const PAGE = 65536;

interface Wasm {
  memory: WebAssembly.Memory;
  u32(): Uint32Array;
  u8(): Uint8Array;
  fn: Record<string, (...args: number[]) => void>;
  /** First byte above the curve's own constants: everything this thread allocates starts here. */
  base: number;
  /** The generators, Jacobian Montgomery form, among the curve's constants. */
  gen: Record<Group, number>;
}

async function loadWasm(): Promise<Wasm> {
  const curve = await buildBn128(true);
  const tm = curve.tm as {
    memory: WebAssembly.Memory;
    instance: WebAssembly.Instance;
    initalPFree: number;
    pG1gen: number;
    pG2gen: number;
  };
  return {
    memory: tm.memory,
    u32: () => new Uint32Array(tm.memory.buffer),
    u8: () => new Uint8Array(tm.memory.buffer),
    fn: tm.instance.exports as unknown as Record<string, (...args: number[]) => void>,
    base: tm.initalPFree,
    gen: { G1: tm.pG1gen, G2: tm.pG2gen },
  };
}

/** Grows linear memory so that `[0, end)` plus scratch space for the curve's batch operations is mapped. */
function ensureMemory(w: Wasm, end: number): void {
  const need = end + 16 * 1024 * 1024;
  const have = w.memory.buffer.byteLength;
  if (need > have) w.memory.grow(Math.ceil((need - have) / PAGE));
}

/** Sets the curve's free-memory pointer (its batch functions take scratch space from there). */
function setFree(w: Wasm, p: number): void {
  w.u32()[0] = (p + 7) & ~7;
}

interface Table {
  group: Group;
  window: number;
  windows: number;
  /** Offset of T[w][d] = d * 2^(window*w) * G, affine LEM, row-major. */
  ptr: number;
  /** First free byte after the table. */
  end: number;
}

/** Builds the window table for `group`'s generator in WASM memory, one row at a time. */
function buildTable(w: Wasm, group: Group, window: number): Table {
  const sA = AFFINE_BYTES[group];
  const sJ = (sA / 2) * 3;
  const p = group === 'G1' ? 'g1m' : 'g2m';
  const windows = Math.ceil(SCALAR_BITS / window);
  const rowLen = 1 << window;
  const ptr = (w.base + 63) & ~63;
  const row = ptr + windows * rowLen * sA;
  const base = row + rowLen * sJ;
  const end = base + sJ;
  ensureMemory(w, end);
  setFree(w, end);
  w.fn[`${p}_copy`]!(w.gen[group], base);
  for (let k = 0; k < windows; k++) {
    w.fn[`${p}_zero`]!(row);
    for (let d = 1; d < rowLen; d++) w.fn[`${p}_add`]!(row + (d - 1) * sJ, base, row + d * sJ);
    // next window's base: 2^window * base = (rowLen - 1) * base + base
    w.fn[`${p}_add`]!(row + (rowLen - 1) * sJ, base, base);
    w.fn[`${p}_batchToAffine`]!(row, rowLen, ptr + k * rowLen * sA);
  }
  return { group, window, windows, ptr, end };
}

/** Multiplies the generator by every scalar of `scalars` (little-endian, 32 bytes each). */
function multiply(w: Wasm, t: Table, scalars: Uint8Array): Uint8Array {
  const n = scalars.length / SCALAR_BYTES;
  const sA = AFFINE_BYTES[t.group];
  const sJ = (sA / 2) * 3;
  const p = t.group === 'G1' ? 'g1m' : 'g2m';
  const addMixed = w.fn[`${p}_addMixed`]!;
  const zero = w.fn[`${p}_zero`]!;
  const out = (t.end + 63) & ~63;
  const end = out + n * sJ;
  ensureMemory(w, end);
  setFree(w, end);
  const mask = (1 << t.window) - 1;
  const rowBytes = (1 << t.window) * sA;
  for (let i = 0; i < n; i++) {
    const acc = out + i * sJ;
    zero(acc);
    const s = i * SCALAR_BYTES;
    for (let k = 0; k < t.windows; k++) {
      const bit = k * t.window;
      const byte = bit >> 3;
      let v = scalars[s + byte]!;
      if (byte + 1 < SCALAR_BYTES) v |= scalars[s + byte + 1]! << 8;
      if (byte + 2 < SCALAR_BYTES) v |= scalars[s + byte + 2]! << 16;
      const d = (v >>> (bit & 7)) & mask;
      if (d !== 0) addMixed(acc, t.ptr + k * rowBytes + d * sA, acc);
    }
  }
  w.fn[`${p}_batchToAffine`]!(out, n, out);
  return w.u8().slice(out, out + n * sA);
}

const port = parentPort;
if (!port) throw new Error('fixed-base-thread must run in a worker thread');
const wasm = await loadWasm();
let table: Table | null = null;
port.on('message', (m: ThreadRequest) => {
  try {
    if (m.type === 'table') {
      table = buildTable(wasm, m.group, m.window);
      port.postMessage({ type: 'table-ready', group: m.group, window: m.window } satisfies ThreadReply);
    } else {
      if (!table) throw new Error('multiply before a table was built');
      const points = multiply(wasm, table, m.scalars);
      port.postMessage({ type: 'product', id: m.id, points } satisfies ThreadReply, [points.buffer as ArrayBuffer]);
    }
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) } satisfies ThreadReply);
  }
});
// Requests sent before this listener existed would reach only ffjavascript's `web-worker` listener: the
// pool sends nothing until it hears this.
port.postMessage({ type: 'ready' } satisfies ThreadReply);
