import { AckPolicy, DeliverPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_DEPLOYMENT, natsNames, type NatsNames } from './subjects.ts';

/** Tunables of the pipeline's JetStream topology. */
export interface TopologyOptions {
  /** Whose streams, subjects and buckets (see subjects.ts); default `dev`. */
  deployment?: string;
  /** How long a worker may hold a job without an ack or an in-progress signal before redelivery. */
  jobAckWaitMs?: number;
  /** Deliveries of one job before it goes to the dead-letter path (max-deliveries advisory). */
  jobMaxDeliver?: number;
  /** How long a membership entry lives without a refresh. */
  memberTtlMs?: number;
  /** How long a settler may hold a ready batch without an ack or an in-progress signal. */
  settleAckWaitMs?: number;
  /**
   * Deliveries of one ready batch (-1: unlimited). A hand-off that runs out is not lost: the
   * orchestrator's reconciler hands the batch over again while it is unsettled.
   */
  settleMaxDeliver?: number;
  /** How long a job lease is kept after it was last written (an acked lease lets intake attribute its result). */
  leaseTtlMs?: number;
}

export const DEFAULT_TOPOLOGY: Required<Omit<TopologyOptions, 'deployment'>> = {
  jobAckWaitMs: 30_000,
  jobMaxDeliver: 5,
  memberTtlMs: 30_000,
  settleAckWaitMs: 60_000,
  settleMaxDeliver: -1,
  leaseTtlMs: 3_600_000,
};

const DEDUPE_WINDOW_MS = 120_000;

async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[]): Promise<void> {
  const config = {
    name,
    subjects,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(DEDUPE_WINDOW_MS),
  };
  const info = await jsm.streams.info(name).catch(() => null);
  if (info) {
    const have = info.config.subjects ?? [];
    // A stream made by an older version: its subjects follow this one's.
    if (have.length !== subjects.length || subjects.some((x) => !have.includes(x))) await jsm.streams.update(name, { subjects });
    return;
  }
  try {
    await jsm.streams.add(config);
  } catch (err) {
    // Another process created it between our two calls.
    await jsm.streams.info(name).catch(() => {
      throw err;
    });
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  opts: { ackWaitMs: number; maxDeliver: number; update?: boolean },
): Promise<void> {
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(opts.ackWaitMs),
    max_deliver: opts.maxDeliver,
    max_ack_pending: 10_000,
  };
  try {
    const info = await jsm.consumers.info(stream, durable);
    if (opts.update !== false && (info.config.ack_wait !== config.ack_wait || info.config.max_deliver !== config.max_deliver)) {
      await jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_deliver: config.max_deliver });
    }
  } catch {
    await jsm.consumers.add(stream, config).catch(async (err) => {
      await jsm.consumers.info(stream, durable).catch(() => {
        throw err;
      });
    });
  }
}

/** The pipeline's JetStream handles once its streams, consumers and buckets exist. */
export interface Topology {
  names: NatsNames;
  jsm: JetStreamManager;
  jobs: KV;
  members: KV;
  leases: KV;
  artifacts: ObjectStore;
}

/**
 * Creates (idempotently) every stream, durable consumer and bucket of the pipeline. Any process may call
 * it at start; concurrent calls are safe.
 */
export async function ensureTopology(nc: NatsConnection, options: TopologyOptions = {}): Promise<Topology> {
  const o = { ...DEFAULT_TOPOLOGY, ...options };
  const NATS = natsNames(options.deployment ?? DEFAULT_DEPLOYMENT);
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, NATS.jobsStream, [NATS.jobSubjects]);
  await ensureStream(jsm, NATS.resultsStream, [NATS.resultSubjects]);
  await ensureStream(jsm, NATS.verdictsStream, [NATS.verdictSubjects]);
  await ensureStream(jsm, NATS.readyStream, [NATS.readySubjects]);
  await ensureStream(jsm, NATS.settledStream, [NATS.settledSubject]);
  // An existing provers or settle consumer keeps its settings unless this caller sets them explicitly.
  const explicit = options.jobAckWaitMs !== undefined || options.jobMaxDeliver !== undefined;
  await ensureConsumer(jsm, NATS.jobsStream, NATS.proversConsumer, { ackWaitMs: o.jobAckWaitMs, maxDeliver: o.jobMaxDeliver, update: explicit });
  await ensureConsumer(jsm, NATS.resultsStream, NATS.intakeConsumer, { ackWaitMs: 30_000, maxDeliver: 20 });
  await ensureConsumer(jsm, NATS.verdictsStream, NATS.stateConsumer, { ackWaitMs: 30_000, maxDeliver: 50 });
  await ensureConsumer(jsm, NATS.readyStream, NATS.settleConsumer, {
    ackWaitMs: o.settleAckWaitMs,
    maxDeliver: o.settleMaxDeliver,
    update: options.settleAckWaitMs !== undefined || options.settleMaxDeliver !== undefined,
  });
  await ensureConsumer(jsm, NATS.settledStream, NATS.settledConsumer, { ackWaitMs: 30_000, maxDeliver: 50 });
  const kvm = new Kvm(nc);
  const jobs = await kvm.create(NATS.jobsBucket, { history: 1 });
  const members = await kvm.create(NATS.membersBucket, { history: 1, ttl: o.memberTtlMs });
  const leases = await kvm.create(NATS.leasesBucket, { history: 1, ttl: o.leaseTtlMs });
  const artifacts = await new Objm(nc).create(NATS.artifactsBucket);
  return { names: NATS, jsm, jobs, members, leases, artifacts };
}

/** Object names of one artifact set in the artifacts bucket (by proving-key hash). */
export function artifactObjects(zkeyHash: string): { zkey: string; wasm: string; vkey: string; manifest: string } {
  return {
    zkey: `transfer/${zkeyHash}/transfer.zkey`,
    wasm: `transfer/${zkeyHash}/transfer.wasm`,
    vkey: `transfer/${zkeyHash}/verification_key.json`,
    manifest: `transfer/${zkeyHash}/manifest.json`,
  };
}
