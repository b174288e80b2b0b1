import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { releaseSnarkjs } from '../../worker/prover/snarkjs-runtime.ts';

/** Builds (or finds in the cache) the circuit artifacts once, before any test file runs. */
export default async function setup(): Promise<() => Promise<void>> {
  await ensureArtifacts({ progress: stderrProgress('test setup') });
  await releaseSnarkjs();
  return releaseSnarkjs;
}
