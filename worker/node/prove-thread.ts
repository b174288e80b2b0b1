/**
 * A prover thread: holds artifact sets in memory (received once) and proves one job at a time on a
 * single-threaded BN254 curve, so a pool of N threads uses N cores.
 */
import { parentPort } from 'node:worker_threads';
import { proveTransfer, type ProverArtifacts } from '../prover/groth16-prover.ts';
import { releaseSnarkjs } from '../../circuits/snarkjs-runtime.ts';
import type { FromProveThread, ToProveThread } from './prove-thread-messages.ts';
import { installSingleThreadedCurve } from './single-thread-curve.ts';

const port = parentPort;
if (!port) throw new Error('prove-thread.ts must run in a worker thread');
const sets = new Map<string, ProverArtifacts>();
const send = (m: FromProveThread) => port.postMessage(m);

async function prove(m: Extract<ToProveThread, { type: 'prove' }>): Promise<void> {
  for (const h of m.evict ?? []) sets.delete(h);
  if (m.load) sets.set(m.artifactHash, m.load);
  const artifacts = sets.get(m.artifactHash);
  try {
    if (!artifacts) throw Object.assign(new Error(`artifact set ${m.artifactHash} was never sent to this thread`), { code: 'PROVER_THREAD_FAILED' });
    const result = await proveTransfer(artifacts, m.input);
    send({ type: 'done', id: m.id, result });
  } catch (err) {
    const e = err as Error & { code?: unknown };
    send({ type: 'failed', id: m.id, error: { name: e.name, message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) } });
  }
}

port.on('message', (m: ToProveThread) => {
  if (m.type === 'prove') {
    void prove(m);
  } else if (m.type === 'close') {
    // process.exit() in a worker thread ends only this thread; tsx's loader port would keep it alive.
    void releaseSnarkjs().finally(() => {
      send({ type: 'closed' });
      process.exit(0);
    });
  }
});
await installSingleThreadedCurve();
send({ type: 'ready' });
