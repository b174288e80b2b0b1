import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadOrCreateIdentity, readIdentitySeed } from '../../swarm/identity/ed25519.ts';
import { credsConnectOptions } from '../../swarm/nats-auth/connect.ts';
import { admitWorker, type AdmittedCredentials } from '../runtime/admission-client.ts';
import { createLogger, type Logger } from '../../swarm/log/logger.ts';
import { createWorkerMetrics, type PromWorkerMetrics } from '../runtime/metrics.ts';
import { serveMetrics, type MetricsServer } from '../runtime/metrics-server.ts';
import type { WorkerFault } from '../runtime/worker-fault.ts';
import { startWorkerRuntime, type WorkerRuntime, type WorkerStats } from '../runtime/worker-runtime.ts';
import { chooseNodeMsmBackend, type MsmBackendOption, type NodeMsmBackend } from './msm-backend-choice.ts';
import { createProverPool, type ProverPool } from './prover-pool.ts';
import { DEV_ROOT_CERT_FILE, DevEnclave } from '../tee/dev-enclave.ts';
import type { Attester } from '../tee/attestation-responder.ts';

/** The dev enclave under the root saved in `dir` (a new root saved there when there is none). */
async function devAttester(o: { dir: string; validUntil?: Date }, log: Logger): Promise<Attester> {
  const opts = o.validUntil ? { validUntil: o.validUntil } : {};
  if (existsSync(join(o.dir, DEV_ROOT_CERT_FILE))) return DevEnclave.load(o.dir, opts);
  const enclave = await DevEnclave.create(opts);
  await enclave.saveRoot(o.dir);
  log.warn('dev enclave root created: it proves no hardware; a deployment that trusts it lists it with --attestation-root', { root: join(o.dir, DEV_ROOT_CERT_FILE) });
  return enclave;
}

export interface NodeWorkerOptions {
  natsUrl: string;
  /** Ed25519 key file, created when missing. */
  keyFile: string;
  /** Prover threads (default 1): one proof per thread at a time. */
  threads?: number;
  /** Basis of the in-progress signal interval; default: the `provers` consumer's ack wait. */
  ackWaitMs?: number;
  /** Membership heartbeat interval (default 5000 ms). */
  heartbeatMs?: number;
  /** How long stop() lets jobs in hand finish before nak'ing them (default 30 s). */
  drainTimeoutMs?: number;
  /** Redelivery delay of a job nak'ed for a retryable failure (default 5000 ms). */
  retryDelayMs?: number;
  /** Serve Prometheus metrics at http://0.0.0.0:PORT/metrics (0 picks a free port). */
  metricsPort?: number;
  /** Give up waiting for a membership replica after this long (default: wait). */
  topologyTimeoutMs?: number;
  /** Whose jobs (see protocol/subjects.ts); default `dev`. */
  deployment?: string;
  /**
   * How it authenticates to NATS: credentials from the admission service (obtained and renewed with
   * the worker key), a `.creds` file, or none (an open server: tests of other parts only).
   */
  natsAuth?: { admissionUrl: string; operator: string } | { credsFile: string };
  /** Who runs the worker, declared in its membership entry (an operator name: 1-64 of [a-z0-9._-]). */
  operator?: string;
  /**
   * Where half jobs' MSMs run: `wasm` (the prover threads; the default here), `webgpu` (Dawn, failing
   * without a GPU) or `auto` (WebGPU where a GPU measures faster than WASM on all cores; the CLI's default).
   */
  msmBackend?: MsmBackendOption;
  /**
   * Run as a TEE worker with a dev enclave (machines without a TEE): its root in `dir` (created there
   * when missing; a deployment trusts it with --attestation-root DIR/dev-root.pem). `validUntil`
   * ends the enclave's certificate early (to rehearse a lapsing attestation).
   */
  teeDev?: { dir: string; validUntil?: Date };
  /** Measure one real half at start and declare its rate as the score (default false here; the CLI's default is true). */
  benchmark?: boolean;
  /** For testing the swarm's defences: misbehave as told (see worker/runtime/worker-fault.ts). */
  fault?: WorkerFault;
  /** Aborts the start while it waits for the topology. */
  signal?: AbortSignal;
  log?: Logger;
}

/** A running Node worker. */
export interface NodeWorker {
  /** The worker's Ed25519 public key (hex). */
  id: string;
  /** Port of the /metrics endpoint, when one was asked for. */
  metricsPort?: number;
  metrics: PromWorkerMetrics;
  /** Graceful drain, then closes the prover threads, the metrics endpoint and the NATS connection. */
  stop(): Promise<void>;
  stats(): WorkerStats;
  /**
   * Rejects when the worker cannot go on: its NATS connection closed for good (credentials revoked or
   * expired without renewal, the server refusing it) while it was not stopping.
   */
  failed: Promise<never>;
}

/**
 * Starts a Node worker: a pool of `threads` prover threads (whole proofs and halves' MSMs), and on the
 * main thread the shared runtime (membership heartbeat, jobs taken through the job gateway, shares read
 * and opened, signed results) over its own NATS connection.
 */
export async function startNodeWorker(o: NodeWorkerOptions): Promise<NodeWorker> {
  const identity = loadOrCreateIdentity(o.keyFile);
  const threads = o.threads ?? 1;
  const log = (o.log ?? createLogger('worker')).child({ workerId: identity.id.slice(0, 16) });
  const metrics = createWorkerMetrics({ runtime: 'node' });
  let nc: NatsConnection | undefined;
  let pool: ProverPool | undefined;
  let server: MetricsServer | undefined;
  let runtime: WorkerRuntime | undefined;
  let admitted: AdmittedCredentials | undefined;
  let msm: NodeMsmBackend | undefined;
  const release = async () => {
    admitted?.stop();
    await pool?.close();
    msm?.close();
    await runtime?.idle();
    await server?.close();
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc?.close());
  };
  try {
    msm = await chooseNodeMsmBackend(o.msmBackend ?? 'wasm');
    log.info('MSM backend chosen', { ...msm.choice });
    pool = await createProverPool({ threads, log });
    if (o.metricsPort !== undefined) server = await serveMetrics(metrics.registry, o.metricsPort);
    let auth = {};
    if (o.natsAuth && 'credsFile' in o.natsAuth) auth = await credsConnectOptions(o.natsAuth.credsFile);
    else if (o.natsAuth) {
      admitted = await admitWorker({ url: o.natsAuth.admissionUrl, operator: o.natsAuth.operator, deployment: o.deployment ?? 'dev', identity, seedHex: readIdentitySeed(o.keyFile), log });
      auth = admitted.connectOptions;
    }
    nc = await connect({ servers: o.natsUrl, name: `drex-worker-${identity.id.slice(0, 16)}`, maxReconnectAttempts: -1, ...auth });
    runtime = await startWorkerRuntime({
      nc,
      identity,
      prover: pool,
      halfProver: msm.gpuHalfProver ?? pool,
      capabilities: { runtime: o.teeDev ? 'tee' : 'node', threads, gpu: msm.choice.backend === 'webgpu', tee: false, msmBackend: msm.choice.backend, ...(o.operator ? { operator: o.operator } : {}) },
      concurrency: threads,
      metrics,
      log,
      ackWaitMs: o.ackWaitMs,
      heartbeatMs: o.heartbeatMs,
      drainTimeoutMs: o.drainTimeoutMs,
      retryDelayMs: o.retryDelayMs,
      topologyTimeoutMs: o.topologyTimeoutMs,
      deployment: o.deployment,
      benchmarkAtStart: o.benchmark ?? false,
      ...(o.teeDev ? { attester: await devAttester(o.teeDev, log) } : {}),
      ...(o.fault ? { fault: o.fault } : {}),
      signal: o.signal,
    });
  } catch (err) {
    await release();
    throw err;
  }
  log.info('node worker started', { id: identity.id, threads, nats: o.natsUrl, metricsPort: server?.port, ...(o.operator ? { operator: o.operator } : {}), ...(o.fault ? { fault: o.fault } : {}) });
  const rt = runtime;
  let stopping: Promise<void> | null = null;
  const conn = nc;
  const failed = conn.closed().then((err) => {
    if (stopping) return new Promise<never>(() => {});
    const reason = err ?? new Error('the NATS connection closed');
    log.error('NATS connection closed for good: stopping', { err: reason });
    throw reason;
  });
  failed.catch(() => {});
  return {
    id: identity.id,
    ...(server ? { metricsPort: server.port } : {}),
    metrics,
    stop: () =>
      (stopping ??= (async () => {
        await rt.stop();
        await release();
        log.info('node worker stopped');
      })()),
    stats: () => rt.stats(),
    failed,
  };
}
