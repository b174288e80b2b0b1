import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../swarm/log/logger.ts';

/** Where in-process components of tests log (one file per component; the terminal stays readable). */
export const TEST_LOG_DIR = join(tmpdir(), 'drex-test-logs');

/** A logger writing to `<dir>/<component>.log` (default dir: TEST_LOG_DIR). */
export function testLogger(component: string, dir = TEST_LOG_DIR): Logger {
  mkdirSync(dir, { recursive: true });
  return createLogger(component, {}, createWriteStream(join(dir, `${component}.log`), { flags: 'a' }));
}

/** A logger that drops everything (for tests that assert on state, not on log lines). */
export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLog };
