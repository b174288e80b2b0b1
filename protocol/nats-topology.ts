import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { DrexError } from './errors.ts';
import { DEFAULT_DEPLOYMENT, natsNames, type NatsNames } from './subjects.ts';

/** Tunables of the pipeline's JetStream topology. */
export interface TopologyOptions {
  /** Whose streams, subjects and buckets (see subjects.ts); default `dev`. */
  deployment?: string;
  /** How long a worker may hold a job without an ack or an in-progress signal before redelivery. */
  jobAckWaitMs?: number;
  /** Deliveries of one job before it goes to the dead-letter path (max-deliveries advisory). */
  jobMaxDeliver?: number;
  /** How long a settler may hold a ready batch without an ack or an in-progress signal. */
  settleAckWaitMs?: number;
  /**
   * Deliveries of one ready batch (-1: unlimited). A hand-off that runs out is not lost: the
   * orchestrator's reconciler hands the batch over again while it is unsettled.
   */
  settleMaxDeliver?: number;
  /**
   * Bytes the jobs stream may hold (-1: unlimited). Jobs never expire by age (a job waits as long as the
   * queue is); when the stream is full a new job is refused (discard new) and its dispatch is retried,
   * so no queued job is ever dropped.
   */
  jobsMaxBytes?: number;
  /**
   * How long an unconsumed result, verdict, hand-off or settlement outcome is kept (0: forever). Each is
   * re-derived when lost: a job without a verified proof is re-issued by housekeeping, a verified batch
   * is handed over again and reconciled against the chain; so this only bounds what an absent consumer
   * leaves behind. At least the de-duplication window (2 min).
   */
  messagesMaxAgeMs?: number;
  /** Bytes each of the results, verdicts, ready and settled streams may hold (-1: unlimited; the oldest go first). */
  messagesMaxBytes?: number;
  /**
   * Bytes of the jobs KV bucket (job expectations; -1: unlimited). No age: an expectation lives as long
   * as its job may come back; the orchestrator's pruning deletes those of final batches. When full, a
   * new expectation is refused (discard new) and its dispatch is retried.
   */
  jobsKvMaxBytes?: number;
  /** Bytes of the artifacts object store (-1: unlimited). Full: a new artifact set is refused, none in use is dropped. */
  artifactsMaxBytes?: number;
  /** How long a job lease is kept after it was last written (an acked lease lets intake attribute its result). */
  leaseTtlMs?: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_TOPOLOGY: Required<Omit<TopologyOptions, 'deployment'>> = {
  jobAckWaitMs: 30_000,
  // A half refused to a worker the split rules keep from it counts as a delivery too.
  jobMaxDeliver: 10,
  settleAckWaitMs: 60_000,
  settleMaxDeliver: -1,
  jobsMaxBytes: 4096 * MiB,
  messagesMaxAgeMs: 24 * 3600_000,
  messagesMaxBytes: 1024 * MiB,
  jobsKvMaxBytes: 1024 * MiB,
  artifactsMaxBytes: 8192 * MiB,
  leaseTtlMs: 3_600_000,
};

const DEDUPE_WINDOW_MS = 120_000;

/** A topology option that JetStream cannot honour (e.g. a max age shorter than the de-duplication window). */
export class TopologyOptionsError extends DrexError {
  override name = 'TopologyOptionsError';
  readonly code = 'TOPOLOGY_OPTIONS_INVALID';
}

/** Retention limits of one stream (or bucket's stream). */
interface StreamLimits {
  /** 0: no age limit. */
  maxAgeMs: number;
  /** -1: unlimited. */
  maxBytes: number;
  /** `new`: refuse a message when full (never drop a stored one); `old`: drop the oldest. */
  discard: 'new' | 'old';
}

const limitsConfig = (l: StreamLimits) => ({
  max_age: nanos(l.maxAgeMs),
  max_bytes: l.maxBytes,
  discard: l.discard === 'new' ? DiscardPolicy.New : DiscardPolicy.Old,
});

/** Brings an existing stream's limits to `l` (a stream made by an older version had none). */
async function ensureLimits(jsm: JetStreamManager, name: string, l: StreamLimits): Promise<void> {
  const info = await jsm.streams.info(name);
  const want = limitsConfig(l);
  const c = info.config;
  if (c.max_age !== want.max_age || c.max_bytes !== want.max_bytes || c.discard !== want.discard) await jsm.streams.update(name, want);
}

async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[], limits: StreamLimits): Promise<void> {
  const config = {
    name,
    subjects,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(DEDUPE_WINDOW_MS),
    ...limitsConfig(limits),
  };
  const info = await jsm.streams.info(name).catch(() => null);
  if (info) {
    const have = info.config.subjects ?? [];
    // A stream made by an older version: its subjects and limits follow this one's.
    if (have.length !== subjects.length || subjects.some((x) => !have.includes(x))) await jsm.streams.update(name, { subjects });
    await ensureLimits(jsm, name, limits);
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
  leases: KV;
  /** Split records: who holds each half of a proof attempt. */
  splits: KV;
  /** Answered halves awaiting their sibling. */
  halves: KV;
  /** Sealed shares of split proving. */
  shares: ObjectStore;
  artifacts: ObjectStore;
}

/**
 * Creates (idempotently) every stream, durable consumer and bucket of the pipeline. Any process may call
 * it at start; concurrent calls are safe.
 */
export async function ensureTopology(nc: NatsConnection, options: TopologyOptions = {}): Promise<Topology> {
  const o = { ...DEFAULT_TOPOLOGY, ...definedOnly(options) };
  if (o.messagesMaxAgeMs !== 0 && o.messagesMaxAgeMs < DEDUPE_WINDOW_MS) {
    throw new TopologyOptionsError(`messagesMaxAgeMs must be 0 (no age limit) or at least the de-duplication window (${DEDUPE_WINDOW_MS} ms), got ${o.messagesMaxAgeMs}`);
  }
  const NATS = natsNames(options.deployment ?? DEFAULT_DEPLOYMENT);
  const jsm = await jetstreamManager(nc);
  const jobLimits: StreamLimits = { maxAgeMs: 0, maxBytes: o.jobsMaxBytes, discard: 'new' };
  const messageLimits: StreamLimits = { maxAgeMs: o.messagesMaxAgeMs, maxBytes: o.messagesMaxBytes, discard: 'old' };
  await ensureStream(jsm, NATS.jobsStream, [NATS.jobSubjects], jobLimits);
  await ensureStream(jsm, NATS.resultsStream, [NATS.resultSubjects], messageLimits);
  await ensureStream(jsm, NATS.verdictsStream, [NATS.verdictSubjects], messageLimits);
  await ensureStream(jsm, NATS.readyStream, [NATS.readySubjects], messageLimits);
  await ensureStream(jsm, NATS.settledStream, [NATS.settledSubject], messageLimits);
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
  const jobs = await kvm.create(NATS.jobsBucket, { history: 1, max_bytes: o.jobsKvMaxBytes });
  await ensureLimits(jsm, kvStream(NATS.jobsBucket), { maxAgeMs: 0, maxBytes: o.jobsKvMaxBytes, discard: 'new' });
  const leases = await kvm.create(NATS.leasesBucket, { history: 1, ttl: o.leaseTtlMs, max_bytes: o.jobsKvMaxBytes });
  // Split proving's records live as long as a lease: long enough for any half still in play.
  const splits = await kvm.create(NATS.splitsBucket, { history: 1, ttl: o.leaseTtlMs, max_bytes: o.jobsKvMaxBytes });
  const halves = await kvm.create(NATS.halvesBucket, { history: 1, ttl: o.leaseTtlMs, max_bytes: o.jobsKvMaxBytes });
  // Sealed shares are bulky (about 2 MB a half): kept as long as unconsumed messages; a half whose share
  // is gone is terminated by the gateway and its transfer re-issued by housekeeping.
  const shares = await new Objm(nc).create(NATS.sharesBucket, { max_bytes: o.jobsMaxBytes, ttl: o.messagesMaxAgeMs === 0 ? 0 : nanos(o.messagesMaxAgeMs) });
  const artifacts = await new Objm(nc).create(NATS.artifactsBucket, { max_bytes: o.artifactsMaxBytes });
  await ensureLimits(jsm, objectStream(NATS.artifactsBucket), { maxAgeMs: 0, maxBytes: o.artifactsMaxBytes, discard: 'new' });
  return { names: NATS, jsm, jobs, leases, splits, halves, shares, artifacts };
}

/** The options a caller set (an explicit `undefined` keeps the default). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The JetStream stream behind a KV bucket. */
export const kvStream = (bucket: string) => `KV_${bucket}`;
/** The subject of one KV key (a `>` suffix matches every key under a prefix). */
export const kvSubject = (bucket: string, key: string) => `$KV.${bucket}.${key}`;
/** The JetStream stream behind an object store. */
const objectStream = (bucket: string) => `OBJ_${bucket}`;

/** Object names of one artifact set in the artifacts bucket (by proving-key hash). */
/** The artifacts store's object naming the deployment's current proving key: `{"zkeyHash": ...}` (workers benchmark on it at start). */
export const CURRENT_ARTIFACT_OBJECT = 'transfer/current.json';

export function artifactObjects(zkeyHash: string): { zkey: string; wasm: string; vkey: string; manifest: string } {
  return {
    zkey: `transfer/${zkeyHash}/transfer.zkey`,
    wasm: `transfer/${zkeyHash}/transfer.wasm`,
    vkey: `transfer/${zkeyHash}/verification_key.json`,
    manifest: `transfer/${zkeyHash}/manifest.json`,
  };
}
