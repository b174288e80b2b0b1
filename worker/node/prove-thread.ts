/**
 * A prover thread: holds artifact sets in memory (received once) and computes one job at a time on a
 * single-threaded BN254 curve, so a pool of N threads uses N cores: a whole proof (snarkjs), or the five
 * MSMs of a half job (the staged prover's msmStage, over the proving key read once per set).
 */
import { parentPort } from 'node:worker_threads';
import { encodeMsmPoints, msmStage, readProvingKey, type ProvingKey } from '../../prover/index.ts';
import { proveTransfer, type ProverArtifacts } from '../prover/groth16-prover.ts';
import { releaseSnarkjs } from '../../circuits/snarkjs-runtime.ts';
import type { HalfMsmResult } from '../runtime/signed-half-result.ts';
import type { FromProveThread, ToProveThread } from './prove-thread-messages.ts';
import { installSingleThreadedCurve } from '../runtime/single-thread-curve.ts';

const port = parentPort;
if (!port) throw new Error('prove-thread.ts must run in a worker thread');
const sets = new Map<string, ProverArtifacts>();
/** Proving keys read from the sets' zkeys (views into them), by artifact hash. */
const keys = new Map<string, ProvingKey>();
const send = (m: FromProveThread) => port.postMessage(m);

async function provingKey(hash: string, artifacts: ProverArtifacts): Promise<ProvingKey> {
  let pk = keys.get(hash);
  if (!pk) {
    pk = await readProvingKey(artifacts.zkey);
    keys.set(hash, pk);
  }
  return pk;
}

/** The five MSMs of a half; its scalars are wiped once they are done. */
async function msm(hash: string, artifacts: ProverArtifacts, witness: Uint8Array, quotient: Uint8Array): Promise<HalfMsmResult> {
  try {
    const pk = await provingKey(hash, artifacts);
    const t0 = performance.now();
    // msmStage's default backend computes on the curve in globalThis.curve_bn128: this thread's single-threaded one.
    const points = await msmStage(pk, { witness, quotient });
    return { points: encodeMsmPoints(points), msmMs: performance.now() - t0 };
  } finally {
    witness.fill(0);
    quotient.fill(0);
  }
}

async function work(m: Extract<ToProveThread, { type: 'prove' }>): Promise<void> {
  for (const h of m.evict ?? []) {
    sets.delete(h);
    keys.delete(h);
  }
  if (m.load) {
    sets.set(m.artifactHash, m.load);
    keys.delete(m.artifactHash);
  }
  const artifacts = sets.get(m.artifactHash);
  try {
    if (!artifacts) throw Object.assign(new Error(`artifact set ${m.artifactHash} was never sent to this thread`), { code: 'PROVER_THREAD_FAILED' });
    const result = m.work.kind === 'prove' ? await proveTransfer(artifacts, m.work.input) : await msm(m.artifactHash, artifacts, m.work.witness, m.work.quotient);
    send({ type: 'done', id: m.id, result });
  } catch (err) {
    const e = err as Error & { code?: unknown };
    send({ type: 'failed', id: m.id, error: { name: e.name, message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) } });
  }
}

port.on('message', (m: ToProveThread) => {
  if (m.type === 'prove') {
    void work(m);
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
