import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import type { Address } from 'viem';
import type { CircuitSpec } from '../circuits/build/compile.ts';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { DrexError } from '../protocol/errors.ts';
import { loadCrypto } from '../circuits/model/crypto.ts';
import type { TransferPolicy } from '../circuits/model/policy.ts';
import { devActors, devPolicy } from '../circuits/sample/sample-transfer.ts';
import { checkLedger, createChainReader, getPolicies, type Groth16VerificationKey } from '../ledger-bridge/client.ts';
import { ensureTopology, type TopologyOptions } from '../protocol/nats-topology.ts';
import { checkDeployment, DEFAULT_DEPLOYMENT } from '../protocol/subjects.ts';
import { createLogger, type Logger } from '../swarm/log/logger.ts';
import { batchService, type BankQuotas } from './api/batch-service.ts';
import { EventFanout } from './api/event-fanout.ts';
import { startGrpcServer, type TlsFiles } from './api/grpc-server.ts';
import { DEFAULT_LIMITS, type SubmitLimits } from './api/validate-submit.ts';
import { publishArtifacts } from './artifacts/publish-artifacts.ts';
import { devBankRegistry, type BankRegistry } from './banks/bank-registry.ts';
import { dispatchQueue } from './dispatch/dispatch-queue.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { Housekeeper } from './housekeeping/housekeeper.ts';
import { Pruner } from './housekeeping/pruner.ts';
import { chainCheck, leaderCheck, natsCheck, redisCheck, type HealthCheck } from './http/health-checks.ts';
import { HEALTH_CHECK_TIMEOUT_MS, healthProbe } from './http/health-report.ts';
import { attestationPolicy, type AttestationPolicyOptions } from '../swarm/attestation/attestation-policy.ts';
import { httpApp } from './http/http-app.ts';
import { RegulatorTokens } from './http/regulator-tokens.ts';
import { Reverifier } from './audit/reverifier.ts';
import { MemberDirectory } from './members/member-directory.ts';
import { startMembershipService } from '../swarm/membership/membership-service.ts';
import { jobCounts, observeFinished, observeProof } from './metrics-sources.ts';
import { AdmissionService, type AdmissionPolicy } from './admission/admission-service.ts';
import { AdmissionStore } from './admission/admission-store.ts';
import { RevocationSync } from './admission/revocation-sync.ts';
import { credsConnectOptions } from '../swarm/nats-auth/connect.ts';
import { loadAdmissionKeys } from '../swarm/nats-auth/nats-security.ts';
import { LeaderLease } from './leader/leader-lease.ts';
import { createMetrics } from './metrics.ts';
import { planningLoop } from './planner/planning-loop.ts';
import { Sequencer } from './planner/sequencer.ts';
import { offLedgerDomain } from './planner/off-ledger-domain.ts';
import { Reconciler } from './reconciliation/reconciler.ts';
import { watchDeadLetters } from './reissue/dead-letters.ts';
import { Reissuer } from './reissue/reissuer.ts';
import { SettlementHandoff } from './settlement/settlement-handoff.ts';
import { BatchStore } from './store/batch-store.ts';
import { consumeVerdicts } from './verdicts/verdicts.ts';
import { SplitBook } from './witness/split-book.ts';
import { WitnessGenerator } from './witness/witness-generator.ts';
import { witnessQueue, type WitnessQueue } from './witness/witness-queue.ts';
import { readProvingKey } from '../prover/index.ts';

export interface OrchestratorConfig {
  natsUrl: string;
  /** NATS `.creds` file of the orchestrator role (none: an open server, for tests of other parts). */
  natsCreds?: string;
  /**
   * Worker admission (served on the HTTP port): the folder of admission keys written with the NATS
   * security (swarm/nats-auth), the policy, and the lifetime of issued credentials (default 1 h).
   */
  admission?: { dir: string; policy: AdmissionPolicy; credentialTtlMs?: number };
  redisUrl: string;
  /** gRPC listen address; port 0 picks a free one. Default 127.0.0.1:50051. */
  grpcHost?: string;
  grpcPort?: number;
  /** HTTP (metrics, health, worker admission, regulator API and portal) port; 0 picks a free one; undefined disables it. */
  httpPort?: number;
  /**
   * The regulator API and portal (`/api/v1`, `/portal` on the HTTP port): the bearer tokens that open
   * them (at least 16 characters each). Without tokens every regulator request is answered 401.
   */
  portal?: { tokens: string[] };
  /**
   * The deployment's attestation policy, used by `POST /api/v1/attestations/verify` and the portal's attestation page:
   * trusted roots (default the AWS Nitro root only; a dev enclave's root only when listed), allowed measurements,
   * debug documents (refused by default).
   */
  attestation?: AttestationPolicyOptions;
  /** Routes served on the HTTP port without authentication (e.g. the browser worker's page). */
  publicRoutes?: Hono;
  banks?: BankRegistry;
  /** The transfer policy; default the ledger's current one (the dev policy without a ledger). */
  policy?: TransferPolicy;
  /** The circuit (k, depths); default DEFAULT_CIRCUIT. A ledger's contract must be built for the same k. */
  circuit?: CircuitSpec;
  limits?: SubmitLimits;
  /** Per-bank caps of the bank API (watches, batches not final). */
  quotas?: BankQuotas;
  /**
   * Whose batches: names this deployment's NATS streams, subjects and buckets, its Redis keys (unless
   * `redisPrefix` is given) and its batch ids. Default `dev`.
   */
  deployment?: string;
  /** Redis key prefix; default `drex:<deployment>:`. */
  redisPrefix?: string;
  /** Attempts per transfer before its batch fails. Default 5. */
  maxAttempts?: number;
  /** Housekeeping pass interval. Default 15 s. */
  housekeepingIntervalMs?: number;
  /** A job gone from the queue without a verified proof is re-issued after this long. Default 60 s. */
  lostJobGraceMs?: number;
  /** Last resort for a job whose queue position was never recorded: re-issued this long after publication. Default 35 min. */
  jobTimeoutMs?: number;
  topology?: TopologyOptions;
  /** A final batch is pruned to its audit record this long after it became final. Default 7 days. */
  retentionMs?: number;
  /**
   * The ledger batches settle on: then VERIFIED batches are handed to settlement and only SETTLED is final.
   * At start it must have `chainId` and a DrexSettlement for this circuit's k whose batch verifier was
   * built from the loaded verification key, or the orchestrator refuses to start (LedgerMismatchError).
   * Intents are signed in its `domain()`.
   */
  ledger?: { rpcUrl: string; chainId: number; settlement: Address };
  /** Public keys (hex) of the aggregators: only verdicts and settlement outcomes signed by one of them count. */
  aggregatorKeys: string[];
  /** How often batches handed to settlement are reconciled against the chain. Default 30 s. */
  reconcileIntervalMs?: number;
  /** A batch that can settle now and was handed over this long ago without settling is handed over again. Default 2 min. */
  handoffTimeoutMs?: number;
  /** Leader lease TTL: a standby takes over within 1.25 x this after the leader dies. Default 10 s. */
  leaseTtlMs?: number;
  /** TLS: server certificate and key; with a CA, mTLS (banks may then authenticate by client certificate). */
  tls?: TlsFiles;
  /** How transfers are proved (default: split). */
  proving?: ProvingConfig;
  log?: Logger;
  /** Called once if this orchestrator has to wait for another one's lease (it is a standby). */
  onStandby?: () => void;
  /** Called when it lost the lease after leading; it has stopped acting on batch state by then. */
  onLeadershipLost?: (reason: string) => void;
  /** Aborts waiting as a standby. */
  signal?: AbortSignal;
}

/**
 * How transfers are proved. `split` (the default): the witness stage splits each attempt into two halves
 * of secret-shared MSMs for two untrusted workers. `whole`: one job per attempt, its inputs sealed, for
 * workers the deployment trusts (the aggregator's `--trusted-worker`). Both need the job gateway's seal
 * public key.
 */
export interface ProvingConfig {
  mode: 'split' | 'whole';
  /** The job gateway's X25519 seal public key (hex): the aggregator's `sealKey`. */
  gatewaySealKey?: string;
  /** Attempts this process's witness stage prepares at once (0: none; `drex-swarm witness` replicas do it). Default 1. */
  witnessConcurrency?: number;
  /** How long one worker may hold a half. Default 120 s. */
  halfDeadlineMs?: number;
}

/** A proving configuration that cannot work. */
export class ProvingConfigError extends DrexError {
  override name = 'ProvingConfigError';
  readonly code = 'PROVING_CONFIG_INVALID';
}

export interface RunningOrchestrator {
  grpcAddress: string;
  httpUrl?: string;
  store: BatchStore;
  artifact: string;
  /** This orchestrator's fencing token (its lease epoch). */
  leaderEpoch: string;
  stop(): Promise<void>;
}

/**
 * Starts an orchestrator. It prepares everything a leader needs (artifacts, NATS topology, HTTP), then
 * waits for the leader lease (a standby waits here), and only then resumes batch state and serves the
 * bank API. Everything it needs to resume lives in Redis, JetStream and the chain, so a new leader picks
 * up every batch where the last one left it.
 */
export async function startOrchestrator(c: OrchestratorConfig): Promise<RunningOrchestrator> {
  const log = c.log ?? createLogger('orchestrator');
  const crypto = await loadCrypto();
  const artifacts = await ensureArtifacts(c.circuit ? { circuit: c.circuit } : {});
  const { k, depth, nullDepth } = artifacts.manifest;
  const deployment = checkDeployment(c.deployment ?? DEFAULT_DEPLOYMENT);
  const chain = c.ledger && createChainReader({ url: c.ledger.rpcUrl });
  let policy = c.policy ?? devPolicy(devActors(crypto));
  let domain = offLedgerDomain(deployment);
  const verificationKey = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as Groth16VerificationKey;
  const tokens = new RegulatorTokens(c.portal?.tokens ?? []);
  const attestation = await attestationPolicy(c.attestation);
  if (c.ledger && chain) {
    const facts = await checkLedger(chain, { chainId: c.ledger.chainId, settlement: c.ledger.settlement, verificationKey, transfersPerProof: k });
    domain = facts.domain;
    if (!c.policy) {
      const { current } = await getPolicies(chain, c.ledger.settlement);
      policy = { minter: current.minterId, complianceLimit: current.complianceLimit };
    }
  }
  const params = { k, depth, nullDepth, policy, domain };
  const metrics = createMetrics();
  const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const store = new BatchStore(redis, c.redisPrefix ?? `drex:${deployment}:`);
  const nc: NatsConnection = await connect({ servers: c.natsUrl, name: 'drex-orchestrator', maxReconnectAttempts: -1, ...(c.natsCreds ? await credsConnectOptions(c.natsCreds) : {}) });
  const topo = await ensureTopology(nc, { ...c.topology, deployment });
  const artifact = await publishArtifacts(topo.artifacts, artifacts);
  const membership = await startMembershipService({ nc, names: topo.names, observers: c.aggregatorKeys, log: log.child({ part: 'membership' }) });
  const members = new MemberDirectory({ membership, reputationOf: (w) => membership.reputationOf(w) });
  observeFinished(store, metrics, { settles: c.ledger !== undefined, chain, log });
  metrics.scrapeSources.jobs = () => jobCounts(store);
  metrics.scrapeSources.queue = async () => {
    const info = await topo.jsm.consumers.info(topo.names.jobsStream, topo.names.proversConsumer);
    return { pending: info.num_pending, inFlight: info.num_ack_pending };
  };

  let leading = false;
  let http: ServerType | undefined;
  let httpUrl: string | undefined;
  let admission: AdmissionService | undefined;
  let revocations: RevocationSync | undefined;
  if (c.admission) {
    const keys = loadAdmissionKeys(c.admission.dir);
    const admissionStore = new AdmissionStore(redis, store.prefix);
    const alog = log.child({ part: 'admission' });
    admission = new AdmissionService({
      names: topo.names,
      keys,
      store: admissionStore,
      policy: c.admission.policy,
      credentialTtlMs: c.admission.credentialTtlMs ?? 3600_000,
      log: alog,
      onAdmitted: () => metrics.admissions.inc(),
      onRefused: (code) => metrics.admissionsRefused.inc({ code }),
    });
    revocations = new RevocationSync({ natsUrl: c.natsUrl, keys, store: admissionStore, log: alog });
    await revocations.start();
  }
  if (c.httpPort !== undefined) {
    const checks: HealthCheck[] = [leaderCheck(() => leading), redisCheck(redis), natsCheck(nc)];
    if (c.ledger) checks.push(chainCheck(createChainReader({ url: c.ledger.rpcUrl, requestTimeoutMs: HEALTH_CHECK_TIMEOUT_MS })));
    const health = healthProbe(checks, { log: log.child({ part: 'health' }) });
    const reverifier = new Reverifier({ store, vkey: verificationKey, domain, metrics, ...(c.ledger && chain ? { ledger: { chain, settlement: c.ledger.settlement } } : {}) });
    const app = httpApp({
      registry: metrics.registry,
      health,
      admission,
      publicRoutes: c.publicRoutes,
      regulator: { tokens, store, members, leases: topo.leases, reverifier, metrics, attestation, log: log.child({ part: 'regulator-api' }) },
    });
    const port = await new Promise<number>((resolve) => {
      http = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: c.httpPort }, (info) => resolve(info.port));
    });
    httpUrl = `http://127.0.0.1:${port}`;
  }
  const closeConnections = async () => {
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await revocations?.stop();
    await membership.stop();
    await nc.drain().catch(() => {});
    redis.disconnect();
  };

  const lease = new LeaderLease({ redis, key: `${store.prefix}leader`, epochKey: store.fencingKey, owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, ttlMs: c.leaseTtlMs ?? 10_000 });
  let epoch: string;
  try {
    epoch = await lease.acquire(c.signal, () => {
      log.info('another orchestrator leads: standing by', { httpUrl });
      c.onStandby?.();
    });
  } catch (err) {
    await closeConnections();
    throw err;
  }
  store.setFencingToken(epoch);
  leading = true;
  metrics.isLeader.set(1);
  log.info('leading', { epoch });
  // Renew from now on, also while resuming; a loss before everything runs is acted on once it does
  // (meanwhile every write is refused by the fence).
  let lostReason: string | undefined;
  let onLost = (reason: string) => void (lostReason = reason);
  lease.keepAlive((reason) => onLost(reason));

  const settles = c.ledger !== undefined;
  const proving = c.proving ?? { mode: 'split' };
  // Split or whole, nothing private goes out unsealed: shares and whole jobs' inputs are sealed to the job gateway.
  if (!proving.gatewaySealKey) throw new ProvingConfigError("proving needs the job gateway's seal public key (--gateway-seal-key: the aggregator prints it as sealKey)");
  const book = new SplitBook(redis, store.prefix);
  let witness: WitnessQueue | undefined;
  if (proving.mode === 'split') {
    const concurrency = proving.witnessConcurrency ?? 1;
    const generator =
      concurrency > 0
        ? new WitnessGenerator({
            nc,
            names: topo.names,
            store,
            book,
            splits: topo.splits,
            shares: topo.shares,
            gatewaySealKey: proving.gatewaySealKey!,
            artifact,
            pk: readProvingKey(readFileSync(artifacts.zkey)),
            wasm: readFileSync(artifacts.wasm),
            halfDeadlineMs: proving.halfDeadlineMs ?? 120_000,
            log: log.child({ part: 'witness' }),
          })
        : undefined;
    witness = witnessQueue({ redis, prefix: store.prefix, log, generator, concurrency, onRefused: (t) => book.recordRefused(t.batchId, t.index, t.attempt) });
  }
  const dispatcher = new Dispatcher({ nc, names: topo.names, jobsKv: topo.jobs, store, artifact, log, metrics, witness, gatewaySealKey: proving.gatewaySealKey, shares: topo.shares });
  const dispatch = dispatchQueue({ redis, prefix: store.prefix, dispatcher, log });
  const sequencer = new Sequencer({ crypto, store, params, log, onPlanned: dispatch.enqueue });
  const doneStates = settles ? ['SETTLED'] : ['VERIFIED'];
  const failBatch = (id: string, code: string, message: string, version?: number) => sequencer.failBatch(id, code, message, version);
  const reissuer = new Reissuer({ store, dispatcher, failBatch, metrics, log, maxAttempts: c.maxAttempts ?? 5 });
  let handoff: SettlementHandoff | undefined;
  let reconciler: Reconciler | undefined;
  if (c.ledger && chain) {
    handoff = new SettlementHandoff({ nc, names: topo.names, jsm: topo.jsm, store, reissuer, failBatch, metrics, log, aggregatorKeys: c.aggregatorKeys, artifact, domain, resolve: async (id) => void (await reconciler!.resolve(id, 'no')) });
    reconciler = new Reconciler({
      chain,
      settlement: c.ledger.settlement,
      store,
      handoff,
      failBatch,
      metrics,
      log,
      intervalMs: c.reconcileIntervalMs ?? 30_000,
      handoffTimeoutMs: c.handoffTimeoutMs ?? 120_000,
      onSettled: async () => void (await sequencer.finalizeHead(doneStates)),
    });
  }
  const verdicts = await consumeVerdicts({
    nc,
    names: topo.names,
    store,
    reissuer,
    metrics,
    log,
    aggregatorKeys: c.aggregatorKeys,
    onProofRecorded: (v) => observeProof(metrics, (w) => members.labelsOf(w), v),
    onRejected: (reason) => metrics.jobResults.inc({ outcome: reason }),
    onVerified: async (id) => {
      if (reconciler) {
        await reconciler.resolve(id, 'now'); // handed over if it can settle now, else when its predecessor settled
      } else {
        metrics.batchesFinished.inc({ state: 'VERIFIED' });
        await sequencer.finalizeHead(doneStates);
      }
    },
  });
  await handoff?.start();
  const deadLetters = watchDeadLetters({ names: topo.names, nc, jsm: topo.jsm, store, reissuer, log });
  const housekeeper = new Housekeeper({
    names: topo.names,
    jsm: topo.jsm,
    store,
    reissuer,
    log,
    intervalMs: c.housekeepingIntervalMs ?? 15_000,
    lostGraceMs: c.lostJobGraceMs ?? 60_000,
    jobTimeoutMs: c.jobTimeoutMs ?? 35 * 60_000,
    book,
    witness,
  });
  housekeeper.start();
  const pruner = new Pruner({
    store,
    jsm: topo.jsm,
    names: topo.names,
    log,
    retentionMs: c.retentionMs ?? 7 * 24 * 3600_000,
    finalStates: settles ? ['SETTLED', 'FAILED'] : ['VERIFIED', 'SETTLED', 'FAILED'],
    intervalMs: c.housekeepingIntervalMs ?? 15_000,
    forget: dispatch.forget,
  });
  pruner.start();
  const planning = planningLoop({ sequencer, log, afterPass: async () => void metrics.openBatches.set((await store.open()).length) });

  // Resume: finish a re-planning a kill interrupted, re-dispatch every planned batch (publishing is
  // idempotent), resolve what was handed to settlement against the chain, then plan what is waiting.
  await sequencer.resume();
  for (const id of await store.open()) {
    const rec = await store.get(id);
    if (rec && (rec.state === 'PLANNED' || rec.state === 'PROVING')) await dispatch.enqueue(id, rec.planVersion);
  }
  await sequencer.finalizeHead(doneStates);
  // Batches recorded before the listing index existed: listed in the background (fenced, idempotent).
  void store.indexUnlisted().then(
    (n) => n > 0 && log.info('listed batch records written before the listing index', { batches: n }),
    (err: unknown) => log.warn('listing older batch records failed; the next start tries again', { error: err }),
  );
  void reconciler?.reconcileAll(); // may wait on an unreachable chain: not in the way of taking over
  reconciler?.start();
  planning.wake();
  const poll = setInterval(planning.wake, 1000);

  const fanout = new EventFanout({ redis, store, log: log.child({ part: 'watch' }) });
  const grpc = await startGrpcServer({
    impl: batchService({ crypto, banks: c.banks ?? devBankRegistry(), store, redis, fanout, limits: c.limits ?? DEFAULT_LIMITS, quotas: c.quotas, log, metrics, settles, onAccepted: planning.wake, deployment, ledger: { domain, transfersPerProof: k, minter: policy.minter, complianceLimit: policy.complianceLimit, chainId: c.ledger?.chainId ?? 0, ...(c.ledger ? { settlement: c.ledger.settlement } : {}) } }),
    host: c.grpcHost ?? '127.0.0.1',
    port: c.grpcPort ?? 50051,
    tls: c.tls,
  });
  log.info('orchestrator started', { deployment, grpc: grpc.address, http: httpUrl, artifact, k, depth, nullDepth, domain: String(domain), epoch, settles });

  let stopping: Promise<void> | undefined;
  /** Stops everything that acts on batch state (on stop, or when the lease is lost). */
  const stopLeading = () =>
    (stopping ??= (async () => {
      leading = false;
      metrics.isLeader.set(0);
      clearInterval(poll);
      reconciler?.stop();
      housekeeper.stop();
      pruner.stop();
      deadLetters.stop();
      await grpc.stop();
      await fanout.close();
      await planning.idle();
      await verdicts.stop();
      await handoff?.stop();
      await dispatch.close();
      await witness?.close();
    })());
  onLost = (reason) => {
    log.error('leadership lost: stopping', { reason });
    void stopLeading().finally(() => c.onLeadershipLost?.(reason));
  };
  if (lostReason) onLost(lostReason);

  return {
    grpcAddress: grpc.address,
    httpUrl,
    store,
    artifact,
    leaderEpoch: epoch,
    stop: async () => {
      lease.stop();
      await stopLeading();
      await lease.release();
      await closeConnections();
    },
  };
}
