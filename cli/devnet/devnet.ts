import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { BankClient } from '../bank/bank-client.ts';
import { genesisIntents } from '../bank/sample-intents.ts';
import { spawnCli, type CliChild } from './child-process.ts';
import { startNatsServer } from './nats-process.ts';
import { startRedisServer } from './redis-process.ts';
import { ensureServiceBinaries } from './service-binaries.ts';

export interface DevnetOptions {
  workers: number;
  threads: number;
  nats?: string;
  redis?: string;
  grpcPort: number;
  httpPort: number;
  /** Where devnet keeps worker keys, logs and (when it starts them) NATS and Redis data. */
  dir?: string;
  /** Mint the genesis notes (idempotent). */
  genesis: boolean;
  /** Extra arguments for the orchestrator (e.g. --settle). */
  orchestratorArgs?: string[];
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

export interface Devnet {
  endpoints: { grpc: string; nats: string; redis: string; http?: string };
  pids: Record<string, number | number[]>;
  dir: string;
  children: Record<string, CliChild | CliChild[]>;
  /** Resolves when the genesis batch is final (immediately when genesis is off). */
  genesis: Promise<{ batchId: string; state: string } | null>;
  stop(): Promise<void>;
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = createConnection({ host: u.hostname, port: Number(u.port) });
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
 * Starts a local swarm: NATS and Redis on loopback when none is reachable (installing the Debian
 * packages when missing and permitted), the orchestrator, the aggregator and `workers` Node workers,
 * then mints the genesis notes through the pipeline.
 */
export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const log = o.log ?? (() => {});
  const dir = o.dir ?? join(homedir(), '.local', 'share', 'drex-swarm', 'devnet');
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const pids: Record<string, number | number[]> = {};
  const children: Record<string, CliChild | CliChild[]> = {};
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let natsUrl = o.nats ?? 'nats://127.0.0.1:4222';
    let redisUrl = o.redis ?? 'redis://127.0.0.1:6379';
    if (!(await reachable(natsUrl)) || !(await reachable(redisUrl))) {
      await ensureServiceBinaries({ install: true, log });
    }
    if (!(await reachable(natsUrl))) {
      if (o.nats) throw new Error(`NATS is not reachable at ${o.nats}`);
      const nats = await startNatsServer({ storeDir: join(dir, 'nats') });
      natsUrl = nats.url;
      pids.nats = nats.pid;
      stops.push(nats.stop);
      log(`started nats-server at ${natsUrl}`);
    }
    if (!(await reachable(redisUrl))) {
      if (o.redis) throw new Error(`Redis is not reachable at ${o.redis}`);
      mkdirSync(join(dir, 'redis'), { recursive: true });
      const redis = await startRedisServer({ dir: join(dir, 'redis') });
      redisUrl = redis.url;
      pids.redis = redis.pid;
      stops.push(redis.stop);
      log(`started redis-server at ${redisUrl}`);
    }
    const env = o.env;
    const orch = await spawnCli(
      'orchestrator',
      ['orchestrator', '--nats', natsUrl, '--redis', redisUrl, '--grpc-port', String(o.grpcPort), '--http-port', String(o.httpPort), ...(o.orchestratorArgs ?? [])],
      { logFile: join(logs, 'orchestrator.log'), env },
    );
    stops.push(() => orch.stop());
    children.orchestrator = orch;
    pids.orchestrator = orch.pid;
    const agg = await spawnCli('aggregator', ['aggregator', '--nats', natsUrl], { logFile: join(logs, 'aggregator.log'), env });
    stops.push(() => agg.stop());
    children.aggregator = agg;
    pids.aggregator = agg.pid;
    const workers = await Promise.all(
      Array.from({ length: o.workers }, (_, i) =>
        spawnCli(`worker-${i}`, ['worker', '--nats', natsUrl, '--key', join(dir, `worker-${i}.key.json`), '--threads', String(o.threads)], {
          logFile: join(logs, `worker-${i}.log`),
          env,
        }),
      ),
    );
    for (const w of workers) stops.push(() => w.stop());
    children.workers = workers;
    pids.workers = workers.map((w) => w.pid);
    const grpc = String(orch.info.grpc);
    const genesis = o.genesis
      ? (async () => {
          const crypto = await loadCrypto();
          const client = new BankClient({ address: grpc, bankId: 'central-bank', identity: devBankIdentity('central-bank') });
          try {
            const res = await client.submit(genesisIntents(crypto), 'devnet-genesis-v1');
            log(`genesis batch ${res.batchId} ${res.duplicate ? 'already submitted' : 'submitted'}`);
            const events = await client.watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'SETTLED', 'FAILED']) });
            return { batchId: res.batchId, state: events.at(-1)?.state ?? res.state };
          } finally {
            client.close();
          }
        })()
      : Promise.resolve(null);
    genesis.catch(() => {});
    return {
      endpoints: { grpc, nats: natsUrl, redis: redisUrl, http: orch.info.http as string | undefined },
      pids,
      dir,
      children,
      genesis,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
