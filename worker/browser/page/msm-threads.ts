/**
 * The browser worker's HalfProver: MSM threads (module Web Workers running msm-thread.ts). The first
 * thread measures WASM against WebGPU; on WebGPU one thread drives the GPU, on WASM `threads` threads
 * each take one half at a time. A thread is sent a proving key once per artifact set; the scalars of a
 * half go to it as a copy that it wipes, the page's own copy being wiped by the runtime.
 */
import { DrexError } from '../../../protocol/errors.ts';
import type { BackendChoice } from '../../../prover/gpu/backend-choice.ts';
import type { HalfProver } from '../../runtime/half-job-runner.ts';
import type { KeyedArtifacts } from '../../runtime/proving-key-cache.ts';
import type { HalfMsmResult } from '../../runtime/signed-half-result.ts';
import type { HalfScalars } from '../../../prover/share-codec.ts';
import { CHOOSE_ID, type FromMsmThread, type ToMsmThread } from './msm-thread-messages.ts';

/** An MSM thread failed or could not start. */
export class MsmThreadError extends DrexError {
  override name = 'MsmThreadError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface MsmThreadsOptions {
  /** URL of the bundled msm-thread script. */
  scriptUrl: string;
  /** WASM threads wanted (WebGPU uses one). */
  threads: number;
  /** Skip the measurement and use this backend. */
  force?: 'wasm' | 'webgpu';
}

/** Running MSM threads. */
export interface MsmThreads extends HalfProver {
  choice: BackendChoice;
  /** The GPU's name when WebGPU was chosen. */
  adapter?: string;
  /** Halves computed at once. */
  threads: number;
  close(): void;
}

interface Thread {
  worker: Worker;
  artifact?: string;
  busy: boolean;
}

function spawn(scriptUrl: string, onMessage: (m: FromMsmThread) => void): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(scriptUrl, { type: 'module', name: 'drex-msm' });
    worker.onerror = (e) => reject(new MsmThreadError('MSM_THREAD_FAILED', `MSM thread ${scriptUrl} failed to start: ${e.message}`));
    worker.onmessage = (e: MessageEvent<FromMsmThread>) => {
      if (e.data.type === 'ready') {
        worker.onmessage = (ev: MessageEvent<FromMsmThread>) => onMessage(ev.data);
        resolve(worker);
      }
    };
  });
}

/** Starts the threads and chooses the backend (its measurement takes a few seconds). */
export async function startMsmThreads(o: MsmThreadsOptions): Promise<MsmThreads> {
  const pending = new Map<number, { resolve: (r: HalfMsmResult) => void; reject: (e: Error) => void }>();
  let chosen: ((m: Extract<FromMsmThread, { type: 'chosen' }>) => void) | undefined;
  let chooseFailed: ((e: Error) => void) | undefined;
  const onMessage = (m: FromMsmThread) => {
    if (m.type === 'chosen') return chosen?.(m);
    if (m.type === 'failed' && m.id === CHOOSE_ID) return chooseFailed?.(new MsmThreadError(m.error.code ?? 'MSM_THREAD_FAILED', m.error.message));
    if (m.type !== 'done' && m.type !== 'failed') return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.type === 'done') p?.resolve(m.result);
    else p?.reject(new MsmThreadError(m.error.code ?? 'MSM_THREAD_FAILED', `${m.error.name}: ${m.error.message}`));
  };
  const first = await spawn(o.scriptUrl, onMessage);
  const answer = new Promise<Extract<FromMsmThread, { type: 'chosen' }>>((resolve, reject) => {
    chosen = resolve;
    chooseFailed = reject;
  });
  first.postMessage({ type: 'choose', ...(o.force ? { force: o.force } : {}) } satisfies ToMsmThread);
  let result: Extract<FromMsmThread, { type: 'chosen' }>;
  try {
    result = await answer;
  } catch (err) {
    first.terminate();
    throw err;
  }
  const count = result.choice.backend === 'webgpu' ? 1 : Math.max(1, o.threads);
  const threads: Thread[] = [{ worker: first, busy: false }];
  try {
    for (let i = 1; i < count; i++) threads.push({ worker: await spawn(o.scriptUrl, onMessage), busy: false });
  } catch (err) {
    for (const t of threads) t.worker.terminate();
    throw err;
  }
  const waiting: ((t: Thread) => void)[] = [];
  const acquire = () => new Promise<Thread>((resolve) => {
    const free = threads.find((t) => !t.busy);
    if (free) {
      free.busy = true;
      resolve(free);
    } else waiting.push(resolve);
  });
  const release = (t: Thread) => {
    const next = waiting.shift();
    if (next) next(t);
    else t.busy = false;
  };
  let nextId = 0;
  return {
    choice: result.choice,
    ...(result.adapter ? { adapter: result.adapter } : {}),
    threads: count,
    async msm(artifactHash: string, key: KeyedArtifacts, scalars: HalfScalars): Promise<HalfMsmResult> {
      const t = await acquire();
      try {
        const id = nextId++;
        const done = new Promise<HalfMsmResult>((resolve, reject) => pending.set(id, { resolve, reject }));
        const zkey = t.artifact === artifactHash ? undefined : key.artifacts.zkey;
        t.worker.postMessage({ type: 'msm', id, artifactHash, ...(zkey ? { zkey } : {}), witness: scalars.witness, quotient: scalars.quotient } satisfies ToMsmThread);
        t.artifact = artifactHash;
        return await done;
      } finally {
        release(t);
      }
    },
    close() {
      for (const t of threads) t.worker.terminate();
      for (const p of pending.values()) p.reject(new MsmThreadError('MSM_THREAD_CLOSED', 'the MSM threads were closed'));
      pending.clear();
    },
  };
}
