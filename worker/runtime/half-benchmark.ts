import type { ObjectStore } from '@nats-io/obj';
import { CURRENT_ARTIFACT_OBJECT } from '../../protocol/nats-topology.ts';
import { keyScalars, randomScalar } from '../../prover/gpu/sample-terms.ts';
import type { HalfProver } from './half-job-runner.ts';
import type { ProvingKeyCache } from './proving-key-cache.ts';

/** What a worker measured on itself at start. */
export interface HalfBenchmark {
  /** The proving key it measured on. */
  artifact: string;
  /** How long one half's five MSMs took. */
  msmMs: number;
  /** Halves per minute with `concurrency` halves in hand at once. */
  halvesPerMinute: number;
}

/** The deployment's current proving key hash, or null when none is published (the orchestrator has not started yet). */
async function currentArtifact(store: ObjectStore): Promise<string | null> {
  const bytes = await store.getBlob(CURRENT_ARTIFACT_OBJECT).catch(() => null);
  if (!bytes) return null;
  try {
    const hash = (JSON.parse(new TextDecoder().decode(bytes)) as { zkeyHash?: unknown }).zkeyHash;
    return typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : null;
  } catch {
    return null;
  }
}

/**
 * Measures a real half on this worker: the five MSMs of one half of the current circuit (its proving
 * key's bases, random scalars of the key's sizes) on the worker's own half prover and backend. The
 * proving key stays cached for the first job. Returns null when no proving key is published yet.
 */
export async function benchmarkHalf(o: { artifacts: ObjectStore; provingKeys: ProvingKeyCache; halfProver: HalfProver; concurrency: number }): Promise<HalfBenchmark | null> {
  const artifact = await currentArtifact(o.artifacts);
  if (!artifact) return null;
  const key = await o.provingKeys.get(artifact);
  const scalars = (n: number) => keyScalars(Array.from({ length: n }, randomScalar));
  const { msmMs } = await o.halfProver.msm(artifact, key, { witness: scalars(key.pk.nVars), quotient: scalars(key.pk.domainSize) });
  return { artifact, msmMs, halvesPerMinute: (o.concurrency * 60_000) / Math.max(1, msmMs) };
}
