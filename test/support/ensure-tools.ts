// Prepares what the test suite needs and the machine lacks, before vitest starts: nats-server,
// redis-server, chromium and libvulkan1 (Debian packages; the last two run WebGPU on the CPU), and the
// circuit artifacts of the suite's circuit and of the built-in one (compile + dev ceremony, cached in
// ~/.cache/drex-swarm: a minute or two on a fresh machine, nothing on a warm one). Idempotent.
import { ensureServiceBinaries, ensureSoftwareVulkan } from '../../cli/devnet/service-binaries.ts';
import { BUILT_IN_CIRCUIT } from '../../circuits/build/compile.ts';
import { parseCircuitName } from '../../circuits/build/circuit-name.ts';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { releaseSnarkjs } from '../../circuits/snarkjs-runtime.ts';
import { useSuiteCircuit } from './suite-circuit.ts';

const log = (m: string) => process.stderr.write(`[ensure-tools] ${m}\n`);
await ensureServiceBinaries({ install: true, log });
await ensureSoftwareVulkan({ install: true, log });
await ensureArtifacts({ circuit: parseCircuitName(useSuiteCircuit()), progress: stderrProgress('setup') });
await ensureArtifacts({ circuit: BUILT_IN_CIRCUIT, progress: stderrProgress('setup') });
await releaseSnarkjs();
// Ceremony libraries may leave idle worker threads behind.
process.exit(0);
