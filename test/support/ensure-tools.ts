// Prepares what the test suite needs and the machine lacks, before vitest starts: nats-server and
// redis-server (Debian packages), and the circuit artifacts (compile + dev ceremony, cached in
// ~/.cache/drex-swarm: minutes on a fresh machine, nothing on a warm one). Idempotent.
import { ensureServiceBinaries } from '../../cli/devnet/service-binaries.ts';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { releaseSnarkjs } from '../../circuits/snarkjs-runtime.ts';

await ensureServiceBinaries({ install: true, log: (m) => process.stderr.write(`[ensure-tools] ${m}\n`) });
await ensureArtifacts({ progress: stderrProgress('setup') });
await releaseSnarkjs();
// Ceremony libraries may leave idle worker threads behind.
process.exit(0);
