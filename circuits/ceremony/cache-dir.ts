import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Root of the artifact cache shared by every drex-swarm process on this machine.
 * `DREX_SWARM_CACHE` overrides it; the default is `~/.cache/drex-swarm` (or `$XDG_CACHE_HOME/drex-swarm`).
 */
export function cacheRoot(): string {
  const root =
    process.env.DREX_SWARM_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'drex-swarm');
  mkdirSync(root, { recursive: true });
  return root;
}

/** A sub-folder of the cache, created when missing. */
export function cacheDir(...parts: string[]): string {
  const dir = join(cacheRoot(), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
