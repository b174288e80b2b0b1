import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function holderAlive(lockPath: string): boolean {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` while holding an exclusive lock file, so that two processes building the same cached
 * artifact do not both build it. A lock left by a dead process is taken over.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, onWait?: () => void): Promise<T> {
  let warned = false;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!holderAlive(lockPath)) {
        rmSync(lockPath, { force: true });
        continue;
      }
      if (!warned) {
        warned = true;
        onWait?.();
      }
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
