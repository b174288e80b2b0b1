import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './service-binaries.ts';
import { DrexError } from '../../protocol/errors.ts';
import type { ProcessExit } from './supervisor.ts';

/** A nats-server (JetStream enabled) started on a loopback port, for devnet and tests. */
export interface TestNatsServer {
  /** `nats://127.0.0.1:PORT` */
  url: string;
  port: number;
  pid: number;
  /** `ws://127.0.0.1:WSPORT` when a websocket port was asked for. */
  wsUrl?: string;
  /** JetStream store folder (removed by stop() unless it was given). */
  storeDir: string;
  /** Resolves when the server has exited, with its exit code or signal. */
  exited: Promise<ProcessExit>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its store. */
  stop(): Promise<void>;
}

export interface StartNatsServerOptions {
  /** Also listen for NATS over WebSocket (no TLS) on this port; 0 picks a free one. */
  websocketPort?: number;
  /** Path of the binary (default $NATS_SERVER_BIN, else the installed nats-server). */
  binary?: string;
  /** TCP port (default: a free one). */
  port?: number;
  /** Keep JetStream data in this folder (kept by stop()); default a temporary folder removed by stop(). */
  storeDir?: string;
  /**
   * Authorization configuration appended to the server's (e.g. NatsSecurity.serverConfig: operator mode,
   * no anonymous connections). Without it the server is open: only for tests of other parts.
   */
  authConfig?: string;
  /** Append the server's log (its stderr) to this file. */
  logFile?: string;
}

/**
 * JetStream's file-store budget. Every stream and bucket reserves its `max_bytes` against it when created
 * (a deployment's topology about 25 GB by default), and nats-server's own default is 75% of the disk free
 * at its start, so whether a topology fits would depend on what else is on the disk. With 1 TB a stream
 * is limited by its own `max_bytes` and by the disk itself.
 */
const MAX_FILE_STORE = '1T';

/** Raised when the test nats-server does not start. */
export class NatsServerStartError extends DrexError {
  override name = 'NatsServerStartError';
  readonly code = 'NATS_SERVER_START_FAILED';
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on `host:port` (within 1 s). */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/**
 * Starts `nats-server -js` on 127.0.0.1 with a temporary store folder and waits until it accepts clients
 * (JetStream ready).
 */
export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<TestNatsServer> {
  const binary = opts.binary ?? process.env.NATS_SERVER_BIN ?? findBinary('nats-server') ?? '/usr/sbin/nats-server';
  const dir = mkdtempSync(join(tmpdir(), 'drex-nats-'));
  const storeDir = opts.storeDir ?? join(dir, 'js');
  const port = opts.port ?? (await freePort());
  const wsPort = opts.websocketPort === undefined ? undefined : opts.websocketPort || (await freePort());
  const conf = [
    'listen: "127.0.0.1:' + port + '"',
    `jetstream { store_dir: ${JSON.stringify(storeDir)}, max_file_store: ${MAX_FILE_STORE} }`,
    wsPort === undefined ? '' : `websocket { host: "127.0.0.1", port: ${wsPort}, no_tls: true }`,
    opts.authConfig ?? '',
  ].join('\n');
  const confPath = join(dir, 'nats.conf');
  writeFileSync(confPath, conf);
  const child = spawn(binary, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
    if (opts.logFile) appendFileSync(opts.logFile, d);
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new NatsServerStartError(`cannot run ${binary}: ${err.message}`)));
    child.once('exit', (code) => reject(new NatsServerStartError(`${binary} exited with ${code} before it was ready:\n${log}`)));
  });
  failed.catch(() => undefined);
  const ready = (async () => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (/Server is ready/.test(log) && (await canConnect(port)) && (wsPort === undefined || (await canConnect(wsPort)))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new NatsServerStartError(`${binary} not ready after 15 s:\n${log}`);
  })();
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    // `dir` holds the config, and the store unless one was given (which is kept).
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([ready, failed]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    ...(wsPort === undefined ? {} : { wsUrl: `ws://127.0.0.1:${wsPort}` }),
    storeDir,
    exited,
    stop,
  };
}
