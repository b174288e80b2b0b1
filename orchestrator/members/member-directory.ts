import type { KV, KvEntry } from '@nats-io/kv';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { memberEntryV1, type MemberEntryV1 } from '../../protocol/messages/member.ts';
import { verifySignature } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';

/** A worker as the regulator API shows it: what its signed membership entry declares, and whether it is live. */
export interface WorkerView {
  workerId: string;
  runtime: MemberEntryV1['runtime'];
  threads: number;
  gpu: boolean;
  tee: boolean;
  /** Where it computes MSMs; null when its entry does not say (older workers). */
  msmBackend: 'wasm' | 'webgpu' | null;
  operator: string | null;
  /** Proofs per minute it measured on itself (0: unknown). */
  score: number;
  /** `live` while its last heartbeat is within its TTL. */
  liveness: 'live' | 'expired';
  /** Its last heartbeat (epoch ms) and when that entry expires. */
  lastSeenMs: number;
  expiresMs: number;
  /** Reputation is kept by each aggregator process for itself; the orchestrator has none to show. */
  reputation: null;
  /**
   * `none` for a worker that is not a TEE; `unverified` for one that declares a TEE: its entry carries
   * no attestation evidence the orchestrator could check.
   */
  attestation: 'none' | 'unverified';
}

/** An entry of the members bucket that is not a valid signed membership entry. */
export interface RefusedEntry {
  key: string;
  problem: string;
}

/** The runtime and MSM backend a worker declared, for metric labels (`unknown` when not known). */
export interface WorkerLabels {
  runtime: string;
  msmBackend: string;
}

/** An entry expired this long ago is forgotten (the bucket drops it too, by its max age). */
const FORGET_AFTER_MS = 3_600_000;

/** Checks one bucket entry: a membership entry of the key's worker, signed by it. */
export function checkMemberEntry(key: string, raw: unknown): { entry: MemberEntryV1 } | { problem: string } {
  const parsed = memberEntryV1.safeParse(raw);
  if (!parsed.success) return { problem: `malformed: ${parsed.error.issues[0]?.path.join('.') || 'entry'} ${parsed.error.issues[0]?.message ?? ''}`.trim() };
  const { signature, ...unsigned } = parsed.data;
  if (parsed.data.workerId !== key) return { problem: 'the entry names another worker than its key' };
  if (!verifySignature(key, canonicalBytes(unsigned), signature)) return { problem: 'the entry is not signed by the worker' };
  return { entry: parsed.data };
}

/** The view of a checked entry at `now`. */
export function workerView(e: MemberEntryV1, now: number): WorkerView {
  return {
    workerId: e.workerId,
    runtime: e.runtime,
    threads: e.threads,
    gpu: e.gpu,
    tee: e.tee,
    msmBackend: e.msmBackend ?? null,
    operator: e.operator ?? null,
    score: e.score,
    liveness: e.ts + e.ttlMs >= now ? 'live' : 'expired',
    lastSeenMs: e.ts,
    expiresMs: e.ts + e.ttlMs,
    reputation: null,
    attestation: e.tee ? 'unverified' : 'none',
  };
}

/**
 * The orchestrator's read-only replica of the members bucket: watches it (every key's last value, then
 * updates), keeps the entries that verify (schema, key, signature) and notes the ones that do not.
 * Serves the regulator API's worker list and labels metric observations by a worker's runtime and
 * MSM backend. It writes nothing.
 */
export class MemberDirectory {
  private readonly members = new Map<string, MemberEntryV1>();
  private readonly refused = new Map<string, string>();
  private stopped = false;
  private iter: { stop(): void } | undefined;

  constructor(private readonly o: { kv: KV; log: Logger }) {}

  /** Starts watching; resolves once the watch is set up (entries then arrive in the background). */
  async start(): Promise<void> {
    const it = await this.o.kv.watch({ key: '>' });
    this.iter = it;
    void (async () => {
      try {
        for await (const e of it) this.apply(e);
      } catch (err) {
        if (!this.stopped) this.o.log.warn('members watch ended', { error: err });
      }
    })();
  }

  stop(): void {
    this.stopped = true;
    this.iter?.stop();
  }

  /** Applies one bucket entry (a put, or a delete/purge of the key). */
  apply(e: Pick<KvEntry, 'key' | 'operation' | 'length'> & { json<T>(): T }): void {
    if (e.operation !== 'PUT' || e.length === 0) {
      this.members.delete(e.key);
      this.refused.delete(e.key);
      return;
    }
    let raw: unknown;
    try {
      raw = e.json();
    } catch {
      raw = undefined;
    }
    const r = raw === undefined ? { problem: 'the entry is not JSON' } : checkMemberEntry(e.key, raw);
    if ('entry' in r) {
      this.members.set(e.key, r.entry);
      this.refused.delete(e.key);
    } else {
      this.members.delete(e.key);
      this.refused.set(e.key.slice(0, 80), r.problem);
    }
  }

  /** Every known worker (live first, then by last heartbeat, newest first), and the entries refused. */
  list(now = Date.now()): { workers: WorkerView[]; refused: RefusedEntry[] } {
    for (const [k, e] of this.members) if (e.ts + e.ttlMs + FORGET_AFTER_MS < now) this.members.delete(k);
    const workers = [...this.members.values()]
      .map((e) => workerView(e, now))
      .sort((a, b) => (a.liveness === b.liveness ? b.lastSeenMs - a.lastSeenMs : a.liveness === 'live' ? -1 : 1));
    return { workers, refused: [...this.refused].map(([key, problem]) => ({ key, problem })) };
  }

  /** The metric labels of a worker (`unknown` for one the directory does not know). */
  labelsOf(workerId: string): WorkerLabels {
    const e = this.members.get(workerId);
    return { runtime: e?.runtime ?? 'unknown', msmBackend: e?.msmBackend ?? 'unknown' };
  }
}
