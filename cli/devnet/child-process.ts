import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { DrexError } from '../../protocol/errors.ts';
import type { ProcessExit } from './supervisor.ts';

/** The `drex-swarm` entry script. */
export const CLI_ENTRY = fileURLToPath(new URL('../../bin/drex-swarm.js', import.meta.url));

/** A `drex-swarm` subcommand running as a child process. */
export interface CliChild {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The first JSON line it printed on stdout (its endpoints). */
  info: Record<string, unknown>;
  /** Every JSON line it printed on stdout so far. */
  lines: Record<string, unknown>[];
  /** Resolves when it has exited, with its exit code or signal. */
  exited: Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once. */
  kill(): Promise<void>;
}

/** Raised when a child exits before printing its ready line. */
export class ChildStartError extends DrexError {
  override name = 'ChildStartError';
  readonly code = 'CHILD_START_FAILED';
}

function exited(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => c.once('exit', () => r()));
}

/**
 * Starts `drex-swarm <args>` and waits for its first JSON line on stdout. Its stderr (JSON logs) goes
 * to `logFile` when given, else is discarded.
 */
export async function spawnCli(name: string, args: string[], o: { logFile?: string; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {}): Promise<CliChild> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', o.logFile ? 'pipe' : 'ignore'], env: { ...process.env, ...o.env } });
  if (o.logFile && child.stderr) child.stderr.pipe(createWriteStream(o.logFile, { flags: 'a' }));
  const lines = createInterface({ input: child.stdout! });
  const seen: Record<string, unknown>[] = [];
  lines.on('line', (l) => {
    if (!l.startsWith('{')) return;
    try {
      seen.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* not JSON */
    }
  });
  const done = new Promise<ProcessExit>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ChildStartError(`${name} did not report ready in ${o.readyTimeoutMs ?? 120_000} ms`)), o.readyTimeoutMs ?? 120_000);
    lines.on('line', (l) => {
      if (!l.startsWith('{')) return;
      try {
        const parsed = JSON.parse(l) as Record<string, unknown>;
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        /* not the ready line */
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new ChildStartError(`${name} exited (${code ?? sig}) before it was ready${o.logFile ? `; see ${o.logFile}` : ''}`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    name,
    child,
    pid: child.pid!,
    info,
    lines: seen,
    exited: done.then((e) => new Promise<ProcessExit>((r) => setImmediate(() => r(e)))),
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited(child);
      clearTimeout(t);
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
