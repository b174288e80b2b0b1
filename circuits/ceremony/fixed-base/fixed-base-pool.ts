import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AFFINE_BYTES, SCALAR_BITS, SCALAR_BYTES, type Group, type ThreadReply, type ThreadRequest } from './fixed-base-messages.ts';
import { DrexError } from '../../../protocol/errors.ts';

const BOOT = new URL('./fixed-base-thread-boot.mjs', import.meta.url);
/** ffjavascript imports `web-worker`, which in a non-main thread expects its own workerData: give it an inert module. */
const webWorkerShim = { mod: 'data:text/javascript,', name: 'fixed-base', type: 'module' };
const CHUNK = 2048;

/** Raised when a fixed-base thread fails or dies. */
export class FixedBaseError extends DrexError {
  override name = 'FixedBaseError';
  readonly code = 'FIXED_BASE_FAILED';
}

/** Multiplies a group generator by many scalars on a pool of threads. */
export interface FixedBasePool {
  readonly threads: number;
  /**
   * Returns `scalars.length / 32` affine points `s_i * G` in snarkjs's LEM layout, one after the other.
   * `scalars` holds little-endian scalars below the group order; `onPoints` is told each finished count.
   */
  multiply(group: Group, scalars: Uint8Array, onPoints?: (done: number) => void): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * The window width (bits) that minimises a thread's additions: building its table (windows * 2^c) plus
 * one mixed addition per window for each of its scalars.
 */
export function windowFor(scalarsPerThread: number): number {
  let best = 4;
  let bestCost = Infinity;
  for (let c = 4; c <= 16; c++) {
    const windows = Math.ceil(SCALAR_BITS / c);
    const cost = windows * ((1 << c) + scalarsPerThread);
    if (cost < bestCost) {
      best = c;
      bestCost = cost;
    }
  }
  return best;
}

interface Slot {
  worker: Worker;
  waiting: ((r: ThreadReply) => void) | null;
  failed: Error | null;
}

function ask(slot: Slot, req: ThreadRequest, transfer: ArrayBuffer[] = []): Promise<ThreadReply> {
  if (slot.failed) return Promise.reject(slot.failed);
  return new Promise((resolve) => {
    slot.waiting = resolve;
    slot.worker.postMessage(req, transfer);
  });
}

function expect<T extends ThreadReply['type']>(r: ThreadReply, type: T): Extract<ThreadReply, { type: T }> {
  if (r.type === 'error') throw new FixedBaseError(`fixed-base thread failed: ${r.message}`);
  if (r.type !== type) throw new FixedBaseError(`fixed-base thread answered ${r.type}, expected ${type}`);
  return r as Extract<ThreadReply, { type: T }>;
}

/** Starts `threads` fixed-base threads (default: one per available core). */
export async function createFixedBasePool(threads = availableParallelism()): Promise<FixedBasePool> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const slots: Slot[] = [];
  const ready: Promise<ThreadReply>[] = [];
  for (let i = 0; i < threads; i++) {
    const worker = new Worker(BOOT, { workerData: webWorkerShim });
    const slot: Slot = { worker, waiting: null, failed: null };
    ready.push(new Promise((resolve) => (slot.waiting = resolve)));
    const fail = (err: Error) => {
      slot.failed = err;
      const w = slot.waiting;
      slot.waiting = null;
      w?.({ type: 'error', message: err.message });
    };
    worker.on('message', (r: ThreadReply) => {
      const w = slot.waiting;
      slot.waiting = null;
      w?.(r);
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new FixedBaseError(`fixed-base thread exited with code ${code}`)));
    slots.push(slot);
  }
  try {
    for (const r of await Promise.all(ready)) expect(r, 'ready');
  } catch (err) {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw err;
  }
  const tables = new Map<Slot, string>();

  return {
    threads,
    async multiply(group, scalars, onPoints) {
      if (scalars.length % SCALAR_BYTES !== 0) throw new RangeError('scalars must be a multiple of 32 bytes');
      const n = scalars.length / SCALAR_BYTES;
      const sA = AFFINE_BYTES[group];
      const out = new Uint8Array(n * sA);
      if (n === 0) return out;
      const window = windowFor(Math.ceil(n / threads));
      const want = `${group}:${window}`;
      await Promise.all(
        slots.map(async (s) => {
          if (tables.get(s) === want) return;
          tables.delete(s);
          expect(await ask(s, { type: 'table', group, window }), 'table-ready');
          tables.set(s, want);
        }),
      );
      let next = 0;
      let done = 0;
      const run = async (s: Slot) => {
        while (next < n) {
          const from = next;
          const to = Math.min(n, from + CHUNK);
          next = to;
          // a copy with a buffer of its own, which is moved to the thread
          const chunk = new Uint8Array(scalars.subarray(from * SCALAR_BYTES, to * SCALAR_BYTES));
          const r = expect(await ask(s, { type: 'multiply', id: from, scalars: chunk }, [chunk.buffer]), 'product');
          out.set(r.points, from * sA);
          done += to - from;
          onPoints?.(done);
        }
      };
      await Promise.all(slots.map(run));
      return out;
    },
    async close() {
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
