// Installs what the test suite needs and the machine lacks: nats-server and redis-server (Debian
// packages). Idempotent: does nothing on a machine that has them.
import { ensureServiceBinaries } from '../../cli/devnet/service-binaries.ts';

await ensureServiceBinaries({ install: true, log: (m) => process.stderr.write(`[ensure-tools] ${m}\n`) });
