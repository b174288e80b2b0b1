import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { BankClient } from '../bank/bank-client.ts';
import { genesisIntents } from '../bank/sample-intents.ts';
import { spawnCli, type CliChild } from './child-process.ts';
import { canConnect, startNatsServer } from './nats-process.ts';
import { startRedisServer } from './redis-process.ts';
import { startDevLedger } from './embedded-ledger.ts';
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
  /** Start its own NATS and Redis (temporary, on free ports) even when others are reachable. */
  ownServices?: boolean;
  /** Mint the genesis notes (idempotent). */
  genesis: boolean;
  /** Extra arguments for the orchestrator. */
  orchestratorArgs?: string[];
  /**
   * The ledger batches settle on: `embedded` (an in-process EVM on loopback JSON-RPC, deployed at start),
   * an external one (e.g. Besu), or none (batches end at VERIFIED).
   */
  ledger?: 'embedded' | 'none' | { rpc: string; settlement: string; settlerKey: string; gasPrice?: string };
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

export interface Devnet {
  endpoints: { grpc: string; nats: string; redis: string; http?: string; rpc?: string };
  contracts?: Record<string, string>;
  pids: Record<string, number | number[]>;
  dir: string;
  children: Record<string, CliChild | CliChild[]>;
  /** Resolves when the genesis batch is final (immediately when genesis is off). */
  genesis: Promise<{ batchId: string; state: string } | null>;
  stop(): Promise<void>;
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return canConnect(Number(u.port), u.hostname);
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
    const own = o.ownServices === true;
    const natsUp = !own && (await reachable(natsUrl));
    const redisUp = !own && (await reachable(redisUrl));
    if (!natsUp || !redisUp) await ensureServiceBinaries({ install: true, log });
    if (!natsUp) {
      if (o.nats && !own) throw new Error(`NATS is not reachable at ${o.nats}`);
      const nats = await startNatsServer(own ? {} : { storeDir: join(dir, 'nats') });
      natsUrl = nats.url;
      pids.nats = nats.pid;
      stops.push(nats.stop);
      log(`started nats-server at ${natsUrl}`);
    }
    if (!redisUp) {
      if (o.redis && !own) throw new Error(`Redis is not reachable at ${o.redis}`);
      mkdirSync(join(dir, 'redis'), { recursive: true });
      const redis = await startRedisServer(own ? {} : { dir: join(dir, 'redis') });
      redisUrl = redis.url;
      pids.redis = redis.pid;
      stops.push(redis.stop);
      log(`started redis-server at ${redisUrl}`);
    }
    const env = o.env;
    const ledgerMode = o.ledger ?? 'embedded';
    let ledgerArgs: string[] = [];
    let orchestratorArgs = [...(o.orchestratorArgs ?? [])];
    let rpc: string | undefined;
    let contracts: Record<string, string> | undefined;
    if (ledgerMode === 'embedded') {
      const ledger = await startDevLedger({ onProgress: log });
      stops.push(ledger.stop);
      rpc = ledger.rpc;
      contracts = ledger.contracts;
      log(`embedded chain at ${rpc}; DrexSettlement at ${ledger.contracts.DrexSettlement}`);
      ledgerArgs = ['--rpc', rpc, '--settlement', ledger.contracts.DrexSettlement!, '--settler-key', ledger.settlerKey, '--gas-price', '0'];
      // The embedded chain starts empty each time: so does this run's batch state.
      orchestratorArgs = ['--settle', '--redis-prefix', `drex:${randomUUID().slice(0, 8)}:`, ...orchestratorArgs];
    } else if (ledgerMode !== 'none') {
      rpc = ledgerMode.rpc;
      ledgerArgs = ['--rpc', rpc, '--settlement', ledgerMode.settlement, '--settler-key', ledgerMode.settlerKey, ...(ledgerMode.gasPrice ? ['--gas-price', ledgerMode.gasPrice] : [])];
      orchestratorArgs = ['--settle', ...orchestratorArgs];
    }
    const orch = await spawnCli(
      'orchestrator',
      ['orchestrator', '--nats', natsUrl, '--redis', redisUrl, '--grpc-port', String(o.grpcPort), '--http-port', String(o.httpPort), ...orchestratorArgs],
      { logFile: join(logs, 'orchestrator.log'), env },
    );
    stops.push(() => orch.stop());
    children.orchestrator = orch;
    pids.orchestrator = orch.pid;
    const agg = await spawnCli('aggregator', ['aggregator', '--nats', natsUrl, ...ledgerArgs], { logFile: join(logs, 'aggregator.log'), env });
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
    pids.devnet = process.pid;
    const genesis = o.genesis
      ? (async () => {
          const crypto = await loadCrypto();
          const client = new BankClient({ address: grpc, bankId: 'central-bank', identity: devBankIdentity('central-bank') });
          try {
            const res = await client.submit(genesisIntents(crypto), 'devnet-genesis-v1');
            log(`genesis batch ${res.batchId} ${res.duplicate ? 'already submitted' : 'submitted'}`);
            const final = ledgerMode === 'none' ? ['VERIFIED', 'FAILED'] : ['SETTLED', 'FAILED'];
            const events = await client.watch(res.batchId, () => {}, { finalStates: new Set(final) });
            return { batchId: res.batchId, state: events.at(-1)?.state ?? res.state };
          } finally {
            client.close();
          }
        })()
      : Promise.resolve(null);
    genesis.catch(() => {});
    return {
      endpoints: { grpc, nats: natsUrl, redis: redisUrl, http: orch.info.http as string | undefined, ...(rpc ? { rpc } : {}) },
      contracts,
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
