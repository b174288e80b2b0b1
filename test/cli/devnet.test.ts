import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http, type Address } from 'viem';
import { CLI_ENTRY } from '../../cli/devnet/child-process.ts';
import { startNatsServer, type TestNatsServer } from '../../cli/devnet/nats-process.ts';
import { startRedisServer, type LocalRedis } from '../../cli/devnet/redis-process.ts';

let nats: TestNatsServer;
let redis: LocalRedis;

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
});

afterAll(async () => {
  await nats?.stop();
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

describe('drex-swarm devnet', () => {
  it('prints its endpoints and pids, serves them, and stops everything it started on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drex-devnet-'));
    const child = spawn(process.execPath, [CLI_ENTRY, 'devnet', '--workers', '2', '--nats', nats.url, '--redis', redis.url, '--grpc-port', '0', '--http-port', '0', '--dir', dir, '--no-genesis'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (c) => reject(new Error(`devnet exited ${c}`)));
    });
    const info = JSON.parse(line) as { grpc: string; nats: string; http: string; rpc: string; contracts: Record<string, Address>; pids: { orchestrator: number; aggregator: number; workers: number[]; devnet: number } };
    expect(info.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.nats).toBe(nats.url);
    expect(info.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.pids.workers).toHaveLength(2);
    const pids = [info.pids.orchestrator, info.pids.aggregator, ...info.pids.workers];
    for (const p of pids) expect(alive(p)).toBe(true);
    expect((await fetch(`${info.http}/healthz`)).status).toBe(200);
    const code = await createPublicClient({ transport: http(info.rpc) }).getCode({ address: info.contracts.DrexSettlement! });
    expect(code && code.length).toBeGreaterThan(2);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const p of pids) expect(alive(p)).toBe(false);
  }, 300_000);
});
