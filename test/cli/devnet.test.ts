import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http, type Address } from 'viem';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { BankClient } from '../../cli/bank/bank-client.ts';
import { sampleIntents } from '../../cli/bank/sample-intents.ts';
import { CLI_ENTRY } from '../../cli/devnet/child-process.ts';
import { connect } from '@nats-io/transport-node';
import { credsConnectOptions } from '../../swarm/nats-auth/connect.ts';
import { startRedisServer, type LocalRedis } from '../../cli/devnet/redis-process.ts';
import { Supervisor, type ProcessExit, type SupervisedProcess } from '../../cli/devnet/supervisor.ts';

let redis: LocalRedis;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const readPid = (file: string) => Number(readFileSync(file, 'utf8').trim());

/** Polls the pid file until it names a live process other than `old`. */
async function restartedPid(file: string, old: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = existsSync(file) ? readPid(file) : 0;
    if (pid && pid !== old && alive(pid)) return pid;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} still names ${old} after ${timeoutMs} ms`);
}

interface DevnetInfo {
  grpc: string;
  nats: string;
  http: string;
  rpc: string;
  contracts: Record<string, Address>;
  pids: { orchestrator: number; aggregator: number; workers: number[]; devnet: number };
  pidFiles: Record<string, string>;
  creds: Record<'orchestrator' | 'aggregator' | 'admin' | 'worker', string>;
  dir: string;
}

describe('drex-swarm devnet', () => {
  // One devnet for the tests below, which run in order: they look at it, crash parts of it, then stop it.
  let devnet: ChildProcess;
  let info: DevnetInfo;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drex-devnet-'));
    devnet = spawn(process.execPath, [CLI_ENTRY, 'devnet', '--workers', '2', '--redis', redis.url, '--grpc-port', '0', '--http-port', '0', '--dir', dir, '--no-genesis'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: devnet.stdout! }).once('line', resolve);
      devnet.once('exit', (c) => reject(new Error(`devnet exited ${c}; see ${dir}/logs`)));
    });
    info = JSON.parse(line) as DevnetInfo;
  }, 300_000);

  afterAll(async () => {
    if (devnet && devnet.exitCode === null && devnet.signalCode === null) {
      devnet.kill('SIGTERM');
      await once(devnet, 'exit');
    }
    // `dir` is left behind: its logs/ explain a failure.
  });

  it('prints its endpoints, pids and pid files, and serves them', async () => {
    expect(info.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.nats).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(info.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.pids.workers).toHaveLength(2);
    const pids = [info.pids.orchestrator, info.pids.aggregator, ...info.pids.workers];
    for (const p of pids) expect(alive(p)).toBe(true);
    // Redis was reachable; NATS is always devnet's own (secured), so it has pid files for it and its own processes.
    expect(Object.keys(info.pidFiles).sort()).toEqual(['aggregator', 'devnet', 'nats', 'orchestrator', 'worker-0', 'worker-1']);
    expect(readPid(info.pidFiles.orchestrator!)).toBe(info.pids.orchestrator);
    expect(readPid(info.pidFiles.aggregator!)).toBe(info.pids.aggregator);
    expect(readPid(info.pidFiles['worker-1']!)).toBe(info.pids.workers[1]);
    expect(readPid(info.pidFiles.devnet!)).toBe(devnet.pid);
    expect(info.pidFiles['worker-0']).toBe(join(dir, 'pids', 'worker-0.pid'));
    expect((await fetch(`${info.http}/healthz`)).status).toBe(200);
    const code = await createPublicClient({ transport: http(info.rpc) }).getCode({ address: info.contracts.DrexSettlement! });
    expect(code && code.length).toBeGreaterThan(2);
  });

  it('runs NATS without anonymous access and prints a credentials file per role', async () => {
    expect(Object.keys(info.creds).sort()).toEqual(['admin', 'aggregator', 'orchestrator', 'worker']);
    await expect(connect({ servers: info.nats, reconnect: false })).rejects.toThrow(/Authorization Violation/);
    for (const role of ['admin', 'worker'] as const) {
      const nc = await connect({ servers: info.nats, reconnect: false, ...(await credsConnectOptions(info.creds[role])) });
      await nc.flush();
      await nc.close();
    }
  });

  it('restarts a worker and the orchestrator killed with SIGKILL on the same endpoints; a batch then settles', async () => {
    const files = { orchestrator: info.pidFiles.orchestrator!, worker: info.pidFiles['worker-0']! };
    const old = { orchestrator: readPid(files.orchestrator), worker: readPid(files.worker) };
    process.kill(old.orchestrator, 'SIGKILL');
    process.kill(old.worker, 'SIGKILL');
    const [orchestrator, worker] = await Promise.all([restartedPid(files.orchestrator, old.orchestrator), restartedPid(files.worker, old.worker)]);
    expect(alive(old.orchestrator) || alive(old.worker)).toBe(false);
    expect(alive(orchestrator) && alive(worker)).toBe(true);
    const logged = readFileSync(join(dir, 'logs', 'devnet.log'), 'utf8');
    expect(logged).toContain(`restarted orchestrator: pid ${orchestrator} (was ${old.orchestrator}, signal SIGKILL)`);
    expect(logged).toContain(`restarted worker-0: pid ${worker} (was ${old.worker}, signal SIGKILL)`);
    // A restarted orchestrator stands by until the killed leader's lease runs out, then leads: healthy.
    const deadline = Date.now() + 60_000;
    let health = 0;
    while ((health = (await fetch(`${info.http}/healthz`)).status) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(health).toBe(200);

    const crypto = await loadCrypto();
    const client = new BankClient({ address: info.grpc, bankId: 'central-bank', identity: devBankIdentity('central-bank') });
    try {
      const res = await client.submit(sampleIntents(crypto, (await client.deployment()).domain, 'central-bank', 1), `devnet-restart-${Date.now()}`);
      const events = await client.watch(res.batchId);
      expect(events.at(-1)?.state).toBe('SETTLED');
    } finally {
      client.close();
    }
  }, 240_000);

  it('stops everything it started on SIGTERM and removes its pid files', async () => {
    const pids = Object.entries(info.pidFiles)
      .filter(([name]) => name !== 'devnet')
      .map(([, f]) => readPid(f));
    for (const p of pids) expect(alive(p)).toBe(true);
    const exited = new Promise<number | null>((resolve) => devnet.once('exit', (c) => resolve(c)));
    devnet.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const p of pids) expect(alive(p)).toBe(false);
    for (const f of Object.values(info.pidFiles)) expect(existsSync(f)).toBe(false);
    expect(readdirSync(join(dir, 'pids'))).toEqual([]);
  }, 120_000);
});

describe('Supervisor', () => {
  /** An idle node process. */
  const sleeper = async (): Promise<SupervisedProcess> => {
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(c, 'spawn');
    const exited = new Promise<ProcessExit>((r) => c.once('exit', (code, signal) => r({ code, signal })));
    return {
      pid: c.pid!,
      exited,
      stop: async () => {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
        await exited;
      },
    };
  };

  it('restarts a process that dies, with a growing backoff, and never one that stop() ends', async () => {
    const logs: string[] = [];
    const tmp = mkdtempSync(join(tmpdir(), 'drex-sup-'));
    const sup = new Supervisor({ pidDir: join(tmp, 'pids'), log: (m) => logs.push(m), minBackoffMs: 20, maxBackoffMs: 50 });
    let failNext = false;
    const first = await sup.add('p', async () => {
      if (failNext) {
        failNext = false;
        throw new Error('not now');
      }
      return sleeper();
    });
    expect(readPid(sup.pidFile('p'))).toBe(first.pid);

    let next = sup.nextRestart('p', 10_000);
    process.kill(first.pid, 'SIGKILL');
    const r1 = await next;
    expect(r1).toMatchObject({ name: 'p', previousPid: first.pid, exit: { code: null, signal: 'SIGKILL' }, restarts: 1 });
    expect(r1.pid).not.toBe(first.pid);
    expect(sup.pid('p')).toBe(r1.pid);
    expect(readPid(sup.pidFile('p'))).toBe(r1.pid);

    // A quick crash, then a failed restart: 20 ms, 40 ms, then capped at 50 ms.
    failNext = true;
    next = sup.nextRestart('p', 10_000);
    process.kill(r1.pid, 'SIGKILL');
    const r2 = await next;
    expect(r2).toMatchObject({ previousPid: r1.pid, restarts: 2 });
    expect(logs.filter((l) => / in \d+ ms$/.test(l)).map((l) => l.replace(/^.*; /, ''))).toEqual(['restarting in 20 ms', 'restarting in 40 ms', 'retrying in 50 ms']);
    expect(logs).toContain('restart of p failed: not now; retrying in 50 ms');

    sup.record('me', process.pid);
    expect(Object.keys(sup.pidFiles())).toEqual(['p', 'me']);
    const waiting = sup.nextRestart('p', 10_000);
    await sup.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'SUPERVISOR_REFUSED' });
    expect(alive(r2.pid)).toBe(false);
    expect(existsSync(sup.pidFile('p')) || existsSync(sup.pidFile('me'))).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.filter((l) => l.startsWith('restarted'))).toHaveLength(2);
    rmSync(tmp, { recursive: true, force: true });
  });
});
