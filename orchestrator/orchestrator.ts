import { readFileSync } from 'node:fs';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { serve, type ServerType } from '@hono/node-server';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Queue, Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { loadCrypto } from '../circuits/model/crypto.ts';
import type { TransferPolicy } from '../circuits/model/transfer-witness.ts';
import { devActors, devPolicy } from '../circuits/sample/sample-transfer.ts';
import { loadBankApi, BATCH_SERVICE } from '../protocol/bank-proto.ts';
import { ensureTopology, type TopologyOptions } from '../protocol/nats-topology.ts';
import { NATS } from '../protocol/subjects.ts';
import type { BatchReadyV1 } from '../protocol/messages/settlement.ts';
import { jetstream } from '@nats-io/jetstream';
import { createLogger, type Logger } from '../swarm/log/logger.ts';
import { batchService } from './api/batch-service.ts';
import { DEFAULT_LIMITS, type SubmitLimits } from './api/validate-submit.ts';
import { publishArtifacts } from './artifacts/publish-artifacts.ts';
import { devBankRegistry, type BankRegistry } from './banks/bank-registry.ts';
import { Dispatcher } from './dispatch/dispatcher.ts';
import { httpApp } from './http/http-app.ts';
import { createMetrics } from './metrics.ts';
import { Sequencer } from './planner/sequencer.ts';
import { BatchStateMachine } from './state/batch-state-machine.ts';
import { BatchStore } from './store/batch-store.ts';

export interface OrchestratorConfig {
  natsUrl: string;
  redisUrl: string;
  /** gRPC listen address; port 0 picks a free one. Default 127.0.0.1:50051. */
  grpcHost?: string;
  grpcPort?: number;
  /** HTTP (metrics, health, batch records) port; 0 picks a free one; undefined disables it. */
  httpPort?: number;
  banks?: BankRegistry;
  policy?: TransferPolicy;
  depth?: number;
  limits?: SubmitLimits;
  /** Redis key prefix (lets several deployments or tests share one Redis). */
  redisPrefix?: string;
  maxAttempts?: number;
  /**
   * Housekeeper: a job with no verified result this long after it was published is published again.
   * A last resort (a crashed worker's job is redelivered by JetStream after its ack wait); it must exceed
   * the job deadline and the time a job may wait in a long queue.
   */
  jobTimeoutMs?: number;
  /** Workers skip a job still undelivered this long after it was published. */
  jobDeadlineMs?: number;
  topology?: TopologyOptions;
  /** When true, VERIFIED batches are handed to settlement and only SETTLED is final. */
  settles?: boolean;
  /** mTLS: server certificate, key and the CA that signs bank client certificates (PEM paths). */
  tls?: { cert: string; key: string; ca: string };
  log?: Logger;
}

export interface RunningOrchestrator {
  grpcAddress: string;
  httpUrl?: string;
  store: BatchStore;
  artifact: string;
  stop(): Promise<void>;
}

/**
 * Starts the orchestrator: the bank gRPC API, the planner (sequencer), the dispatcher, the batch state
 * machine and the HTTP app. Everything it needs to resume lives in Redis and JetStream, so a restarted
 * orchestrator picks up every batch where it was.
 */
export async function startOrchestrator(c: OrchestratorConfig): Promise<RunningOrchestrator> {
  const log = c.log ?? createLogger('orchestrator');
  const settles = c.settles ?? false;
  const crypto = await loadCrypto();
  const artifacts = await ensureArtifacts({ depth: c.depth });
  const depth = artifacts.manifest.depth;
  const policy = c.policy ?? devPolicy(devActors(crypto));
  const metrics = createMetrics();

  const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const store = new BatchStore(redis, c.redisPrefix ?? 'drex:');
  const nc: NatsConnection = await connect({ servers: c.natsUrl, name: 'drex-orchestrator', maxReconnectAttempts: -1 });
  const topo = await ensureTopology(nc, c.topology);
  const artifact = await publishArtifacts(topo.artifacts, artifacts);

  const dispatcher = new Dispatcher({ nc, jobsKv: topo.jobs, store, artifact, jobDeadlineMs: c.jobDeadlineMs ?? 30 * 60_000, log, metrics });
  const bullPrefix = `${store.prefix}bull`;
  const dispatchQueue = new Queue('dispatch', { connection: redis, prefix: bullPrefix });
  const dispatchWorker = new BullWorker(
    'dispatch',
    async (job) => {
      const { batchId, planVersion } = job.data as { batchId: string; planVersion: number };
      await dispatcher.dispatchBatch(batchId, planVersion);
    },
    { connection: redis.duplicate(), prefix: bullPrefix, concurrency: 4 },
  );
  dispatchWorker.on('failed', (job, err) => log.warn('dispatch attempt failed; will retry', { batchId: job?.data?.batchId, error: err }));
  const enqueueDispatch = async (batchId: string, planVersion: number) => {
    await dispatchQueue.add(
      'dispatch',
      { batchId, planVersion },
      { jobId: `${batchId}-v${planVersion}`, attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1000, removeOnFail: 1000 },
    );
  };

  const sequencer = new Sequencer({ crypto, store, policy, depth, log, onPlanned: enqueueDispatch });
  const doneStates = settles ? ['SETTLED'] : ['VERIFIED'];
  const js = jetstream(nc);
  /** Hands a verified batch (its proofs and root chain) to settlement. */
  const publishReady = async (batchId: string) => {
    const [rec, plan, proofs] = await Promise.all([store.get(batchId), store.plan(batchId), store.proofs(batchId)]);
    if (!rec || !plan || rec.state !== 'VERIFIED') return;
    const ready: BatchReadyV1 = {
      v: 1,
      batchId,
      planVersion: rec.planVersion,
      artifact,
      roots: plan.roots,
      items: proofs.map((p) => ({ index: p.index, proof: p.proof as BatchReadyV1['items'][number]['proof'], publicSignals: p.publicSignals })),
    };
    // Not de-duplicated: a batch is handed over again after a restart or after proofs were re-proved;
    // the settler recognises a batch the ledger already holds.
    await js.publish(NATS.readySubject, JSON.stringify(ready));
    await store.noteHandedOver(batchId, rec.planVersion);
  };
  const machine = new BatchStateMachine({
    nc,
    jsm: topo.jsm,
    store,
    dispatcher,
    sequencer,
    log,
    metrics,
    maxAttempts: c.maxAttempts ?? 5,
    jobTimeoutMs: c.jobTimeoutMs ?? 35 * 60_000,
    onSettled: async () => {
      await sequencer.finalizeHead(doneStates);
    },
    onVerified: async (batchId) => {
      if (settles) {
        await publishReady(batchId);
      } else {
        metrics.batchesFinished.inc({ state: 'VERIFIED' });
        await sequencer.finalizeHead(doneStates);
      }
    },
  });
  await machine.start();

  let planning = false;
  let again = false;
  const wakePlanner = () => {
    if (planning) {
      again = true;
      return;
    }
    planning = true;
    void (async () => {
      do {
        again = false;
        try {
          await sequencer.planPending();
          metrics.openBatches.set((await store.open()).length);
        } catch (err) {
          log.error('planning failed; will retry', { error: err });
        }
      } while (again);
      planning = false;
    })();
  };

  // Resume: finish a re-planning a kill interrupted, re-dispatch every planned batch (publishing is
  // idempotent), then plan what is waiting.
  await sequencer.resume();
  for (const id of await store.open()) {
    const rec = await store.get(id);
    if (rec && (rec.state === 'PLANNED' || rec.state === 'PROVING')) await enqueueDispatch(id, rec.planVersion);
    if (rec && rec.state === 'VERIFIED' && settles) await publishReady(id);
  }
  await sequencer.finalizeHead(doneStates);
  wakePlanner();
  const poll = setInterval(wakePlanner, 1000);

  const { service } = loadBankApi();
  const server = new Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
  server.addService(
    service,
    batchService({ crypto, banks: c.banks ?? devBankRegistry(), store, limits: c.limits ?? DEFAULT_LIMITS, log, metrics, settles, onAccepted: wakePlanner }),
  );
  const health = new HealthImplementation({ '': 'SERVING', [BATCH_SERVICE]: 'SERVING' });
  health.addToServer(server);
  const creds = c.tls
    ? ServerCredentials.createSsl(readFileSync(c.tls.ca), [{ private_key: readFileSync(c.tls.key), cert_chain: readFileSync(c.tls.cert) }], true)
    : ServerCredentials.createInsecure();
  const host = c.grpcHost ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${c.grpcPort ?? 50051}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
  );

  let http: ServerType | undefined;
  let httpUrl: string | undefined;
  if (c.httpPort !== undefined) {
    const app = httpApp({ registry: metrics.registry, store, ready: () => true });
    const httpPort = await new Promise<number>((resolve) => {
      http = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: c.httpPort }, (info) => resolve(info.port));
    });
    httpUrl = `http://127.0.0.1:${httpPort}`;
  }
  log.info('orchestrator started', { grpc: `${host}:${port}`, http: httpUrl, artifact, depth });

  return {
    grpcAddress: `${host}:${port}`,
    httpUrl,
    store,
    artifact,
    stop: async () => {
      clearInterval(poll);
      health.setStatus('', 'NOT_SERVING');
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
      await machine.stop();
      await dispatchWorker.close();
      await dispatchQueue.close();
      await nc.drain().catch(() => {});
      redis.disconnect();
    },
  };
}
