import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { generateSealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { createArtifactCache } from './artifact-cache.ts';
import { gatewayDelivery } from './delivery.ts';
import { GatewayClient } from './gateway-client.ts';
import type { HalfProver } from './half-job-runner.ts';
import { runJob, type JobContext, type JobInHand, type JobProver } from './job-runner.ts';
import { startHeartbeat, type Capabilities } from './membership.ts';
import type { JobFailureReason, WorkerMetrics } from './metrics.ts';
import { createProvingKeyCache, type ProvingKeyCache } from './proving-key-cache.ts';
import { startPullLoop } from './pull-loop.ts';
import { benchmarkHalf, type HalfBenchmark } from './half-benchmark.ts';
import { serveAttestation, type Attester } from '../tee/attestation-responder.ts';
import { bindTopology, untilAvailable } from './topology.ts';
import type { WorkerFault } from './worker-fault.ts';
import { DEFAULT_DEPLOYMENT, natsNames } from '../../protocol/subjects.ts';

export interface WorkerRuntimeOptions {
  nc: NatsConnection;
  identity: Identity;
  prover: JobProver;
  /** Computes the MSMs of half jobs (split proving). */
  halfProver: HalfProver;
  /** What the worker declares; its seal key is added by the runtime. */
  capabilities: Omit<Capabilities, 'sealKey'>;
  /** Most jobs in hand at once (the prover's parallelism). */
  concurrency: number;
  metrics: WorkerMetrics;
  log: Logger;
  /** Basis of the in-progress signal interval (ackWait/3); default: the `provers` consumer's ack wait, as the gateway reports it. */
  ackWaitMs?: number;
  /** Membership heartbeat interval (default 5000 ms). */
  heartbeatMs?: number;
  /** Lifetime declared in the membership entry (default 3 heartbeats, within 1 s..10 min). */
  memberTtlMs?: number;
  /** How long stop() lets jobs in hand finish before nak'ing them for immediate redelivery (default 30 s). */
  drainTimeoutMs?: number;
  /** Redelivery delay of a job nak'ed for a retryable failure (default 5000 ms). */
  retryDelayMs?: number;
  /** How long one take waits at the job gateway for a job (default 5000 ms, at least 1000). */
  pullExpiresMs?: number;
  /** Give up waiting for a membership replica after this long (default: wait). */
  topologyTimeoutMs?: number;
  /** Whose jobs (see protocol/subjects.ts); default `dev`. */
  deployment?: string;
  /**
   * Measure one real half (the current proving key's five MSMs, on this worker's half prover) before
   * joining, and declare the rate as its score until real jobs give one. Default false.
   */
  benchmarkAtStart?: boolean;
  /** A TEE worker's attester: the runtime answers attestation requests with documents binding its seal key. */
  attester?: Attester;
  /** For testing the swarm's defences: misbehave as told (see worker-fault.ts). */
  fault?: WorkerFault;
  signal?: AbortSignal;
}

/** Counters of one worker since it started. */
export interface WorkerStats {
  id: string;
  proved: number;
  /** Half jobs answered. */
  halves: number;
  failed: Partial<Record<JobFailureReason, number>>;
  inHand: number;
  artifacts: string[];
  /** Proofs per minute measured on itself (the start benchmark's halves per minute until the first proof; 0 when neither). */
  score: number;
  /** What the benchmark at start measured (null: not run, or no proving key published yet). */
  benchmark: HalfBenchmark | null;
  draining: boolean;
}

/** A running worker runtime. */
export interface WorkerRuntime {
  /** Graceful drain: stop pulling, finish jobs in hand (nak them at the drain timeout), leave the membership. */
  stop(): Promise<void>;
  /** Settles once every job handed to the prover has settled (after stop(), jobs nak'ed at the timeout settle when the prover is closed). */
  idle(): Promise<void>;
  stats(): WorkerStats;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The start benchmark, logged; a failure is logged and leaves the score unknown (it never stops the start). */
async function runBenchmark(o: WorkerRuntimeOptions, store: ObjectStore, provingKeys: ProvingKeyCache): Promise<HalfBenchmark | null> {
  try {
    const b = await benchmarkHalf({ artifacts: store, provingKeys, halfProver: o.halfProver, concurrency: o.concurrency });
    if (b) o.log.info('benchmark: one half measured', { artifact: b.artifact, msmMs: Math.round(b.msmMs), halvesPerMinute: Math.round(b.halvesPerMinute * 100) / 100 });
    else o.log.info('benchmark skipped: no proving key published yet (the score stays unknown until the first job)');
    return b;
  } catch (err) {
    o.log.warn('benchmark failed: the score stays unknown until the first job', { err: err as Error });
    return null;
  }
}

/**
 * The runtime every worker shares: binds to the artifacts and shares buckets, generates the
 * worker's seal key pair (in memory only: shares sealed to it open only in this run), joins the
 * membership declaring its public half (a replica holds its entry before any take), then takes jobs through the job
 * gateway, proves whole jobs with `prover` and computes half jobs with `halfProver`, signs and reports
 * them until stop(). It never touches the `provers` consumer itself.
 */
export async function startWorkerRuntime(o: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const log = o.log;
  const topo = await bindTopology(o.nc, natsNames(o.deployment ?? DEFAULT_DEPLOYMENT));
  const heartbeatMs = o.heartbeatMs ?? 5_000;
  const drainTimeoutMs = o.drainTimeoutMs ?? 30_000;
  const pullExpiresMs = Math.max(1_000, o.pullExpiresMs ?? 5_000);
  let provingEwmaMs = 0;
  const artifacts = createArtifactCache(topo.artifacts, log);
  const provingKeys = createProvingKeyCache(artifacts);
  const benchmark = o.benchmarkAtStart ? await runBenchmark(o, topo.artifacts, provingKeys) : null;
  const score = () => (provingEwmaMs > 0 ? (o.concurrency * 60_000) / provingEwmaMs : (benchmark?.halvesPerMinute ?? 0));
  const sealKey = await generateSealKeyPair();
  // Answering before joining: a gateway may ask as soon as the worker is a member.
  const attestation = o.attester ? await serveAttestation({ nc: o.nc, names: topo.names, workerId: o.identity.id, sealPublicKeyHex: sealKey.publicKeyHex, attester: o.attester, log }) : undefined;
  const heartbeat = await untilAvailable(
    () =>
      startHeartbeat({
        nc: o.nc,
        names: topo.names,
        identity: o.identity,
        capabilities: { ...o.capabilities, sealKey: sealKey.publicKeyHex, ...(o.attester ? { tee: true, attestationRef: topo.names.attestRequest(o.identity.id) } : {}) },
        score,
        intervalMs: heartbeatMs,
        ttlMs: Math.round(clamp(o.memberTtlMs ?? heartbeatMs * 3, 1_000, 600_000)),
        log,
      }),
    { what: 'a membership replica (an aggregator or orchestrator) to take this worker in', log, timeoutMs: o.topologyTimeoutMs, signal: o.signal },
  );
  const gateway = new GatewayClient({ nc: o.nc, names: topo.names, identity: o.identity });
  const ctx: JobContext = {
    names: topo.names,
    identity: o.identity,
    js: topo.js,
    artifacts,
    prover: o.prover,
    halfProver: o.halfProver,
    provingKeys,
    shares: topo.shares,
    sealKey,
    ...(o.fault ? { fault: o.fault } : {}),
    metrics: o.metrics,
    log,
    workingIntervalMs: o.ackWaitMs === undefined ? undefined : Math.max(200, Math.floor(o.ackWaitMs / 3)),
    retryDelayMs: o.retryDelayMs ?? 5_000,
    onProved: (ms) => {
      provingEwmaMs = provingEwmaMs === 0 ? ms : provingEwmaMs * 0.8 + ms * 0.2;
    },
  };
  const inHand = new Set<JobInHand>();
  let proved = 0;
  let halves = 0;
  const failed: Partial<Record<JobFailureReason, number>> = {};
  const pull = startPullLoop({
    concurrency: o.concurrency,
    take: async (max) => {
      const taken = await gateway.take(max, pullExpiresMs);
      return taken.jobs.map((j) => gatewayDelivery(gateway, j, o.ackWaitMs ?? taken.ackWaitMs, log));
    },
    log,
    handle: async (delivery) => {
      const hand: JobInHand = { delivery, abandoned: false };
      inHand.add(hand);
      o.metrics.jobsInHand.inc();
      try {
        const outcome = await runJob(hand, ctx);
        if (outcome === 'proved') proved++;
        else if (outcome === 'answered') halves++;
        else failed[outcome] = (failed[outcome] ?? 0) + 1;
      } finally {
        inHand.delete(hand);
        o.metrics.jobsInHand.dec();
      }
    },
  });
  log.info('worker taking jobs', { concurrency: o.concurrency, ackWaitMs: o.ackWaitMs, takeWaitMs: pullExpiresMs, heartbeatMs, ...(o.fault ? { fault: o.fault } : {}) });

  let stopping: Promise<void> | null = null;
  const drain = async () => {
    log.info('draining: no more pulls', { inHand: inHand.size, drainTimeoutMs });
    await pull.stop();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      pull.idle().then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      const left = [...inHand].filter((h) => !h.abandoned);
      for (const h of left) {
        h.abandoned = true;
        h.delivery.nak();
      }
      log.warn('drain timeout: jobs in hand nak\'ed for immediate redelivery', { count: left.length });
    }
    await gateway.settled();
    await heartbeat.stop();
    await attestation?.stop();
    log.info('drained', { proved, halves, failed });
  };
  return {
    stop: () => (stopping ??= drain()),
    idle: async () => {
      await pull.idle();
      await gateway.settled();
    },
    stats: () => ({
      id: o.identity.id,
      proved,
      halves,
      failed: { ...failed },
      inHand: inHand.size,
      artifacts: artifacts.held(),
      score: Math.round(score() * 100) / 100,
      benchmark,
      draining: stopping !== null,
    }),
  };
}
