import { Worker } from 'node:worker_threads';
import type { JobV1 } from '../../protocol/messages/job.ts';
import { createLogger, type Logger } from '../../swarm/log/logger.ts';
import type { HalfScalars } from '../../prover/share-codec.ts';
import { WitnessError, type ProofResult, type ProverArtifacts } from '../prover/groth16-prover.ts';
import { ProveFailedError, ProverPoolClosedError, ProverThreadError, ShareError } from '../runtime/errors.ts';
import type { HalfProver } from '../runtime/half-job-runner.ts';
import type { JobProver } from '../runtime/job-runner.ts';
import type { KeyedArtifacts } from '../runtime/proving-key-cache.ts';
import type { HalfMsmResult } from '../runtime/signed-half-result.ts';
import type { FromProveThread, ThreadErrorInfo, ThreadWork, ToProveThread } from './prove-thread-messages.ts';

/**
 * A pool of prover threads; at most one job per thread at a time (a whole proof or a half's MSMs),
 * further jobs queue.
 */
export interface ProverPool extends JobProver, HalfProver {
  readonly threads: number;
  prove(artifactHash: string, artifacts: ProverArtifacts, input: JobV1['input']): Promise<ProofResult>;
  /** The five MSMs of one half in a thread (the scalars are copied to it and wiped there once done). */
  msm(artifactHash: string, key: KeyedArtifacts, scalars: HalfScalars): Promise<HalfMsmResult>;
  /** Rejects queued and running work, releases snarkjs in every thread and ends the threads. */
  close(): Promise<void>;
}

export interface ProverPoolOptions {
  threads: number;
  log?: Logger;
  /** Artifact sets each thread keeps in memory (least recently used dropped first; default 2). */
  maxArtifactSets?: number;
  /** How long a thread may take to start (default 60 s). */
  startTimeoutMs?: number;
}

interface Task {
  id: number;
  artifactHash: string;
  artifacts: ProverArtifacts;
  work: ThreadWork;
  resolve: (r: ProofResult | HalfMsmResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  task: Task | null;
  /** Artifact hashes this thread holds, least recently used first. */
  held: string[];
}

const BOOT = new URL('./prove-thread-boot.mjs', import.meta.url);

/**
 * snarkjs -> ffjavascript imports the `web-worker` package, which, loaded in any non-main thread,
 * assumes it is one of its own workers and reads `workerData.{mod,name,type}` (else it throws). Give it
 * an empty module to load so that it stays inert in our prover threads.
 */
const webWorkerShim = (name: string) => ({ mod: 'data:text/javascript,', name, type: 'module' });

function toError(e: ThreadErrorInfo): Error {
  if (e.code === 'WITNESS_FAILED') return new WitnessError(e.message);
  if (e.code === 'PROVER_THREAD_FAILED') return new ProverThreadError(e.message);
  if (e.code === 'SCALARS_INVALID') return new ShareError('SHARE_MALFORMED', `the half's scalars do not fit the proving key: ${e.message}`);
  return new ProveFailedError(`${e.name}: ${e.message}`);
}

/**
 * Starts `threads` worker threads that prove with single-threaded snarkjs (and compute halves' MSMs on
 * the same single-threaded curve, so `threads` bounds every kind of work), and resolves once all are
 * ready (a thread that cannot load fails the start with ProverThreadError). A thread that dies while
 * proving fails that proof and is replaced.
 */
export async function createProverPool(o: ProverPoolOptions): Promise<ProverPool> {
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new RangeError(`threads must be a positive integer, got ${o.threads}`);
  const log = o.log ?? createLogger('prover-pool');
  const maxSets = Math.max(1, o.maxArtifactSets ?? 2);
  const startTimeoutMs = o.startTimeoutMs ?? 60_000;
  const queue: Task[] = [];
  const slots: Slot[] = [];
  let closed = false;
  let nextId = 1;

  const dispatch = () => {
    while (queue.length > 0) {
      const task = queue[0]!;
      const idle = slots.filter((s) => s.ready && !s.task);
      const slot = idle.find((s) => s.held.includes(task.artifactHash)) ?? idle[0];
      if (!slot) return;
      queue.shift();
      slot.task = task;
      const msg: Extract<ToProveThread, { type: 'prove' }> = { type: 'prove', id: task.id, artifactHash: task.artifactHash, work: task.work };
      const at = slot.held.indexOf(task.artifactHash);
      if (at >= 0) {
        slot.held.splice(at, 1);
      } else {
        msg.load = { wasm: task.artifacts.wasm, zkey: task.artifacts.zkey };
        if (slot.held.length >= maxSets) msg.evict = slot.held.splice(0, slot.held.length - maxSets + 1);
      }
      slot.held.push(task.artifactHash);
      slot.worker.postMessage(msg);
    }
  };

  const spawn = (index: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(BOOT, { name: `prover-${index}`, workerData: webWorkerShim(`prover-${index}`) });
      const slot: Slot = { index, worker, ready: false, task: null, held: [] };
      slots[index] = slot;
      const timer = setTimeout(() => {
        reject(new ProverThreadError(`prover thread ${index} did not start within ${startTimeoutMs} ms`));
        void worker.terminate();
      }, startTimeoutMs);
      worker.on('message', (m: FromProveThread) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          slot.ready = true;
          resolve();
          dispatch();
        } else if ((m.type === 'done' || m.type === 'failed') && slot.task?.id === m.id) {
          const task = slot.task;
          slot.task = null;
          if (m.type === 'done') task.resolve(m.result);
          else task.reject(toError(m.error));
          dispatch();
        }
      });
      worker.on('error', (err) => {
        log.error('prover thread error', { thread: index, err });
        if (!slot.ready) {
          clearTimeout(timer);
          reject(new ProverThreadError(`prover thread ${index} failed to start: ${err.message}`));
        }
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (!slot.ready) reject(new ProverThreadError(`prover thread ${index} exited with ${code} before it was ready`));
        slot.ready = false;
        const task = slot.task;
        slot.task = null;
        if (closed) return;
        log.error('prover thread exited; replacing it', { thread: index, code });
        task?.reject(new ProverThreadError(`prover thread ${index} exited with ${code} while proving`));
        spawn(index).catch((err: Error) => log.error('prover thread could not be replaced', { thread: index, err }));
      });
    });

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const t of queue.splice(0)) t.reject(new ProverPoolClosedError());
    await Promise.all(
      slots.map(async (slot) => {
        slot.task?.reject(new ProverPoolClosedError());
        slot.task = null;
        const exited = new Promise<void>((r) => {
          if (slot.worker.threadId < 0) r();
          else slot.worker.once('exit', () => r());
        });
        slot.worker.postMessage({ type: 'close' } satisfies ToProveThread);
        const timer = setTimeout(() => void slot.worker.terminate(), 2_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };

  try {
    await Promise.all(Array.from({ length: o.threads }, (_, i) => spawn(i)));
  } catch (err) {
    await close();
    throw err;
  }
  const submit = <R extends ProofResult | HalfMsmResult>(artifactHash: string, artifacts: ProverArtifacts, work: ThreadWork): Promise<R> => {
    if (closed) return Promise.reject(new ProverPoolClosedError());
    return new Promise<R>((resolve, reject) => {
      queue.push({ id: nextId++, artifactHash, artifacts, work, resolve: resolve as Task['resolve'], reject });
      dispatch();
    });
  };
  return {
    threads: o.threads,
    prove: (artifactHash, artifacts, input) => submit<ProofResult>(artifactHash, artifacts, { kind: 'prove', input }),
    msm: (artifactHash, key, scalars) => submit<HalfMsmResult>(artifactHash, key.artifacts, { kind: 'msm', witness: scalars.witness, quotient: scalars.quotient }),
    close,
  };
}
