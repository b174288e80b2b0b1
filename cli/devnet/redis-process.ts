import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './nats-process.ts';
import { findBinary } from './service-binaries.ts';
import { DrexError } from '../../protocol/errors.ts';
import type { ProcessExit } from './supervisor.ts';

/** A redis-server started on a loopback port. */
export interface LocalRedis {
  url: string;
  port: number;
  pid: number;
  /** Resolves when the server has exited, with its exit code or signal. */
  exited: Promise<ProcessExit>;
  stop(): Promise<void>;
}

/** Raised when redis-server does not start. */
export class RedisStartError extends DrexError {
  override name = 'RedisStartError';
  readonly code = 'REDIS_START_FAILED';
}

/**
 * Starts `redis-server` on 127.0.0.1 (a free port unless given), with append-only persistence in
 * `dir` (default a temporary folder, removed by stop()), and waits until it answers PING.
 */
export async function startRedisServer(o: { port?: number; dir?: string } = {}): Promise<LocalRedis> {
  const binary = findBinary('redis-server') ?? 'redis-server';
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'drex-redis-'));
  const port = o.port ?? (await freePort());
  const child = spawn(binary, ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new RedisStartError(`redis-server exited with ${child.exitCode}: ${log}`);
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    const ok = await r.connect().then(() => r.ping()).then(() => true, () => false);
    r.disconnect();
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisStartError(`redis-server not ready after 10 s: ${log}`);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    url,
    port,
    pid: child.pid!,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
