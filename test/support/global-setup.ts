import { BUILT_IN_CIRCUIT } from '../../circuits/build/compile.ts';
import { parseCircuitName } from '../../circuits/build/circuit-name.ts';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { releaseSnarkjs } from '../../worker/prover/snarkjs-runtime.ts';
import { useSuiteCircuit } from './suite-circuit.ts';

/** Builds (or finds in the cache) the suite's and the built-in circuit's artifacts once, before any test file runs. */
export default async function setup(): Promise<() => Promise<void>> {
  await ensureArtifacts({ circuit: parseCircuitName(useSuiteCircuit()), progress: stderrProgress('test setup') });
  await ensureArtifacts({ circuit: BUILT_IN_CIRCUIT, progress: stderrProgress('test setup') });
  await releaseSnarkjs();
  return releaseSnarkjs;
}
