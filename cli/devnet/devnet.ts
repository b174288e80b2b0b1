import { DEFAULT_CIRCUIT } from '../../circuits/build/compile.ts';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
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
import { Supervisor, type Restart } from './supervisor.ts';
import { createChainReader } from '../../ledger-bridge/index.ts';
import { deploymentOfLedger } from '../../protocol/subjects.ts';
import { Redis } from 'ioredis';
import { AdmissionStore } from '../../orchestrator/admission/admission-store.ts';
import { DrexError } from '../../protocol/errors.ts';
import { loadOrCreateIdentity } from '../../swarm/identity/ed25519.ts';
import { loadOrCreateSealKey } from '../../swarm/sealing/seal-key-file.ts';
import { readTokenFile } from '../../orchestrator/http/regulator-tokens.ts';

/** The operator a devnet worker runs as. */
const operatorOf = (workerName: string) => `devnet-${workerName.replace(/^worker-/, '')}`;
import { createNatsSecurity } from '../../swarm/nats-auth/nats-security.ts';
import type { NatsRole } from '../../swarm/nats-auth/role-permissions.ts';

export interface DevnetOptions {
  workers: number;
  /**
   * How transfers are proved (default split: two workers of two operators per proof, so at least two
   * workers); whole: one sealed job per transfer, devnet's workers being trusted (bank-run) nodes.
   */
  provingMode?: 'split' | 'whole';
  /** Whose streams, Redis keys and batch ids (default: `run-<random>`, or `c<chainId>-<contract>` on an external ledger). */
  deployment?: string;
  threads: number;
  /** Workers measure one real half at start and declare it as their score (default true; runs that restart workers often turn it off). */
  workerBenchmark?: boolean;
  /**
   * An operator's secured NATS server; then `natsSecurity` names the folder of its credentials
   * (`creds/<role>.creds`, `admission/`). Without it devnet starts its own nats-server with freshly
   * generated security (no anonymous connections).
   */
  nats?: string;
  natsSecurity?: string;
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
  /** k of the circuit (default 1): the embedded ledger's contract is deployed for it. */
  transfersPerProof?: number;
  /**
   * The ledger batches settle on: `embedded` (an in-process EVM on loopback JSON-RPC, deployed at start),
   * an external one (e.g. Besu), or none (batches end at VERIFIED).
   */
  ledger?: 'embedded' | 'none' | { rpc: string; settlement: string; settlerKey: string; gasPrice?: string; /** Default: the node's own. */ chainId?: number };
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

export interface Devnet {
  /** `workerPage`: the browser worker page (with devnet's own NATS; `natsWs` its NATS WebSocket). */
  endpoints: { grpc: string; nats: string; redis: string; http?: string; rpc?: string; natsWs?: string; workerPage?: string };
  /** NATS credentials by role: orchestrator, aggregator, admin (every subject) and one spare admitted worker. */
  creds: Record<NatsRole, string>;
  /** This run's deployment id (its NATS names, Redis prefix and batch ids). */
  deployment: string;
  contracts?: Record<string, string>;
  /** The pids at start (nats and redis only when devnet started them). */
  pids: Record<string, number | number[]>;
  /** Pid file of each process, by name (orchestrator, aggregator, worker-N, nats, redis, devnet). */
  pidFiles: Record<string, string>;
  dir: string;
  /** The running children (after a restart, the new ones). */
  readonly children: { orchestrator: CliChild; aggregator: CliChild; workers: CliChild[] };
  /** The current pid of a process by pid-file name; undefined while it is being restarted. */
  pid(name: string): number | undefined;
  /** Resolves at the next restart of the named child, once the new process is ready. */
  nextRestart(name: string, timeoutMs?: number): Promise<Restart>;
  /**
   * The regulator portal: its URL, and the token that opens it (also the bearer token of /api/v1),
   * kept in `tokenFile` under the state folder (created once, reused by later runs).
   */
  portal?: { url: string; token: string; tokenFile: string };
  /** Resolves when the genesis batch is final (immediately when genesis is off). */
  genesis: Promise<{ batchId: string; state: string } | null>;
  /** Stops everything devnet started (no restarts) and removes the pid files. */
  stop(): Promise<void>;
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return canConnect(Number(u.port), u.hostname);
}

/** The port of `host:port` or of a URL. */
function portOf(address: unknown, fallback: number): number {
  if (typeof address !== 'string') return fallback;
  const port = Number(address.includes('://') ? new URL(address).port : address.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 ? port : fallback;
}

/**
 * Starts a local swarm: NATS and Redis on loopback when none is reachable (installing the Debian
 * packages when missing and permitted), the orchestrator, the aggregator and `workers` Node workers,
 * then mints the genesis notes through the pipeline. It supervises the processes it started: one that
 * exits unasked is restarted with the same arguments and endpoints (see supervisor.ts), and each has a
 * pid file under `<dir>/pids/`.
 */
/** Devnet options that cannot work together. */
export class DevnetOptionsError extends DrexError {
  override name = 'DevnetOptionsError';
  readonly code = 'DEVNET_OPTIONS_INVALID';
}

/** The regulator token in `file` (one line), created (random, 32 bytes base64url, mode 0600) when absent. */
function loadOrCreateToken(file: string): string {
  if (existsSync(file)) return readTokenFile(file)[0]!;
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const provingMode = o.provingMode ?? 'split';
  // With devnet's own NATS, browser pages can join (the worker page): then no Node worker is needed.
  const pages = !o.nats;
  if (provingMode === 'split' && o.workers < 2 && !pages) throw new DevnetOptionsError(`split proving needs at least 2 workers (two halves per proof, never one worker's): --workers ${o.workers}; or --proving-mode whole`);
  if (provingMode === 'whole' && o.workers < 1) throw new DevnetOptionsError('whole proving needs at least 1 Node worker (browser workers take halves only): --workers 0');
  const dir = o.dir ?? join(homedir(), '.local', 'share', 'drex-swarm', 'devnet');
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const logFile = join(logs, 'devnet.log');
  const regulatorTokenFile = join(dir, 'regulator.token');
  const regulatorToken = loadOrCreateToken(regulatorTokenFile);
  const log = (msg: string) => {
    o.log?.(msg);
    appendFileSync(logFile, `${new Date().toISOString()} ${msg}\n`);
  };
  const sup = new Supervisor({ pidDir: join(dir, 'pids'), log });
  const stops: (() => Promise<void>)[] = [];
  const pids: Record<string, number | number[]> = {};
  const stopAll = async () => {
    await sup.stop();
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    let redisUrl = o.redis ?? 'redis://127.0.0.1:6379';
    const own = o.ownServices === true;
    const redisUp = !own && (await reachable(redisUrl));
    await ensureServiceBinaries({ install: true, log });
    // Services devnet owns keep their data in a temporary folder, removed at stop.
    const scratch = (prefix: string) => {
      const d = mkdtempSync(join(tmpdir(), prefix));
      stops.push(async () => rmSync(d, { recursive: true, force: true }));
      return d;
    };
    if (!redisUp) {
      if (o.redis && !own) throw new Error(`Redis is not reachable at ${o.redis}`);
      const redisDir = own ? scratch('drex-devnet-redis-') : join(dir, 'redis');
      mkdirSync(redisDir, { recursive: true });
      let port: number | undefined;
      const redis = await sup.add('redis', async () => {
        const r = await startRedisServer({ dir: redisDir, port });
        port = r.port;
        return r;
      });
      redisUrl = redis.url;
      pids.redis = redis.pid;
      log(`started redis-server at ${redisUrl}`);
    }
    const env = o.env;
    const ledgerMode = o.ledger ?? 'embedded';
    let ledgerArgs: string[] = [];
    // Without a ledger, or on the embedded one, nothing outlives the run: it is its own deployment.
    let deployment = o.deployment ?? `run-${randomUUID().slice(0, 8)}`;
    const k = o.transfersPerProof ?? DEFAULT_CIRCUIT.k;
    let orchestratorArgs = ['--transfers-per-proof', String(k), ...(o.orchestratorArgs ?? [])];
    let rpc: string | undefined;
    let contracts: Record<string, string> | undefined;
    if (ledgerMode === 'embedded') {
      const ledger = await startDevLedger({ circuit: { ...DEFAULT_CIRCUIT, k }, onProgress: log });
      stops.push(ledger.stop);
      rpc = ledger.rpc;
      contracts = ledger.contracts;
      log(`embedded chain at ${rpc}; DrexSettlement at ${ledger.contracts.DrexSettlement}`);
      const chainArgs = ['--rpc', rpc, '--chain-id', String(ledger.chainId), '--settlement', ledger.contracts.DrexSettlement!];
      ledgerArgs = [...chainArgs, '--settler-key', ledger.settlerKey, '--gas-price', '0'];
      // The embedded chain starts empty each time: so does this run's batch state.
      // The embedded chain starts empty (same chain id, same contract address) every time: a run is its own deployment.
      orchestratorArgs = [...chainArgs, ...orchestratorArgs];
    } else if (ledgerMode !== 'none') {
      rpc = ledgerMode.rpc;
      const chainId = ledgerMode.chainId ?? (await createChainReader({ url: rpc }).public.getChainId());
      const chainArgs = ['--rpc', rpc, '--chain-id', String(chainId), '--settlement', ledgerMode.settlement];
      ledgerArgs = [...chainArgs, '--settler-key', ledgerMode.settlerKey, ...(ledgerMode.gasPrice ? ['--gas-price', ledgerMode.gasPrice] : [])];
      deployment = o.deployment ?? deploymentOfLedger(chainId, ledgerMode.settlement);
      orchestratorArgs = [...chainArgs, ...orchestratorArgs];
    }
    // NATS: an operator's secured server with its credentials, or devnet's own with fresh security.
    let natsUrl: string;
    let natsWsUrl: string | undefined;
    let creds: Record<NatsRole, string>;
    let admissionDir: string;
    let spareWorkerKey: string | undefined;
    if (o.nats) {
      if (!o.natsSecurity) throw new Error('--nats needs --nats-security DIR (creds/<role>.creds and admission/ of that server)');
      if (!(await reachable(o.nats))) throw new Error(`NATS is not reachable at ${o.nats}`);
      natsUrl = o.nats;
      creds = Object.fromEntries((['orchestrator', 'aggregator', 'admin', 'worker'] as const).map((r) => [r, join(o.natsSecurity!, 'creds', `${r}.creds`)])) as Record<NatsRole, string>;
      admissionDir = join(o.natsSecurity, 'admission');
    } else {
      const security = await createNatsSecurity({ dir: scratch('drex-devnet-nats-security-'), deployment });
      creds = security.creds;
      admissionDir = security.admissionDir;
      spareWorkerKey = security.workerKey;
      const storeDir = scratch('drex-devnet-nats-');
      let port: number | undefined;
      let wsPort = 0;
      const nats = await sup.add('nats', async () => {
        const s = await startNatsServer({ storeDir, port, websocketPort: wsPort, authConfig: security.serverConfig, logFile: join(logs, 'nats.log') });
        port = s.port;
        wsPort = portOf(s.wsUrl, 0);
        return s;
      });
      natsUrl = nats.url;
      natsWsUrl = nats.wsUrl;
      pids.nats = nats.pid;
      log(`started nats-server at ${natsUrl} (operator mode: no anonymous connections)`);
    }
    // Devnet's workers are on the admission allowlist, each as an operator of its own (`devnet-<i>`: the two
    // halves of a proof go to workers of two operators), the spare worker credential as operator `devnet`.
    const workerNames = Array.from({ length: o.workers }, (_, i) => `worker-${i}`);
    {
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
      try {
        const admission = new AdmissionStore(redis, `drex:${deployment}:`);
        for (const name of workerNames) await admission.allow(loadOrCreateIdentity(join(dir, `${name}.key.json`)).id, operatorOf(name));
        if (spareWorkerKey) await admission.allow(loadOrCreateIdentity(spareWorkerKey).id, 'devnet');
      } finally {
        redis.disconnect();
      }
    }
    // The aggregator signs verdicts and settlement outcomes with this key; the orchestrator trusts only it.
    const aggregatorKeyFile = join(dir, 'aggregator.key.json');
    // Split proving's shares are sealed to the job gateway's key, and re-sealed by it to each taker.
    const sealKeyFile = join(dir, 'aggregator.seal.json');
    const sealKey = (await loadOrCreateSealKey(sealKeyFile)).publicKeyHex;
    // Browser pages opened against devnet are admitted (each page an operator of its own, up to the quota).
    if (natsWsUrl) orchestratorArgs = ['--admission-policy', 'open', '--worker-page-nats-ws', natsWsUrl, ...orchestratorArgs];
    orchestratorArgs = ['--aggregator-key', loadOrCreateIdentity(aggregatorKeyFile).id, '--gateway-seal-key', sealKey, '--proving-mode', provingMode, ...orchestratorArgs];
    // In whole mode devnet's workers are the trusted nodes that whole jobs go to.
    const trustedArgs = provingMode === 'whole' ? workerNames.flatMap((name) => ['--trusted-worker', loadOrCreateIdentity(join(dir, `${name}.key.json`)).id]) : [];
    // Devnet runs the dev banks, the dev minter and dev keys: its processes run with --dev.
    // A restarted orchestrator binds the ports the first one bound (which matters for port 0).
    let grpcPort = o.grpcPort;
    let httpPort = o.httpPort;
    const orch = await sup.add('orchestrator', async () => {
      const c = await spawnCli(
        'orchestrator',
        ['orchestrator', '--dev', '--deployment', deployment, '--nats', natsUrl, '--nats-creds', creds.orchestrator, '--admission-dir', admissionDir, '--redis', redisUrl, '--grpc-port', String(grpcPort), '--http-port', String(httpPort), '--regulator-token-file', regulatorTokenFile, ...orchestratorArgs],
        { logFile: join(logs, 'orchestrator.log'), env },
      );
      grpcPort = portOf(c.info.grpc, grpcPort);
      httpPort = portOf(c.info.http, httpPort);
      return c;
    });
    pids.orchestrator = orch.pid;
    const agg = await sup.add('aggregator', () => spawnCli('aggregator', ['aggregator', '--dev', '--deployment', deployment, '--nats', natsUrl, '--nats-creds', creds.aggregator, '--key', aggregatorKeyFile, '--seal-key', sealKeyFile, ...trustedArgs, '--http-port', '0', ...ledgerArgs], { logFile: join(logs, 'aggregator.log'), env }));
    pids.aggregator = agg.pid;
    const admissionUrl = String(orch.info.http);
    const workers = await Promise.all(
      workerNames.map((name) =>
        sup.add(name, () =>
          spawnCli(name, ['worker', '--deployment', deployment, '--nats', natsUrl, '--admission', admissionUrl, '--operator', operatorOf(name), '--key', join(dir, `${name}.key.json`), '--threads', String(o.threads), ...(o.workerBenchmark === false ? ['--no-benchmark'] : [])], {
            logFile: join(logs, `${name}.log`),
            env,
          }),
        ),
      ),
    );
    pids.workers = workers.map((w) => w.pid);
    const grpc = String(orch.info.grpc);
    pids.devnet = process.pid;
    sup.record('devnet', process.pid);
    const genesis = o.genesis
      ? (async () => {
          const crypto = await loadCrypto();
          const client = new BankClient({ address: grpc, bankId: 'central-bank', identity: devBankIdentity('central-bank') });
          try {
            const { domain } = await client.deployment();
            const res = await client.submit(genesisIntents(crypto, domain), 'devnet-genesis-v3');
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
    // A child is absent only while it is being restarted: then the last one is the best answer.
    const live = (name: string, last: CliChild) => sup.current<CliChild>(name) ?? last;
    const httpUrl = orch.info.http as string | undefined;
    if (httpUrl) log(`regulator portal at ${httpUrl}/portal (token in ${regulatorTokenFile})`);
    return {
      deployment,
      endpoints: {
        grpc,
        nats: natsUrl,
        redis: redisUrl,
        http: httpUrl,
        ...(rpc ? { rpc } : {}),
        ...(natsWsUrl && httpUrl ? { natsWs: natsWsUrl, workerPage: `${httpUrl}/worker` } : {}),
      },
      ...(httpUrl ? { portal: { url: `${httpUrl}/portal`, token: regulatorToken, tokenFile: regulatorTokenFile } } : {}),
      creds,
      contracts,
      pids,
      pidFiles: sup.pidFiles(),
      dir,
      children: {
        get orchestrator() {
          return live('orchestrator', orch);
        },
        get aggregator() {
          return live('aggregator', agg);
        },
        get workers() {
          return workers.map((w, i) => live(workerNames[i]!, w));
        },
      },
      pid: (name) => sup.pid(name),
      nextRestart: (name, timeoutMs) => sup.nextRestart(name, timeoutMs),
      genesis,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
