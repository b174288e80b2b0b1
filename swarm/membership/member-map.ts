import { canonicalJson } from '../../protocol/canonical.ts';
import { DrexError } from '../../protocol/errors.ts';
import { checkEntry, REJECTION_REASONS, type RejectionReason } from './check-entry.ts';
import { bucketOf, differingBuckets, isNewerThanListed, listKeys, parseDigest, summarize, type BucketDigest, type KeyDigest, type KeyVersion } from './digest.ts';
import type { EntryVersion, MemberEntry } from './member-entry.ts';
import { isReputationRecord, maxLifeMs, recordKey, recordVersion, type MembershipRecord } from './membership-record.ts';
import { reputationKey, type ReputationRecord } from './reputation-record.ts';
import { reputationScore } from './reputation-score.ts';

/** What a replica holds under one key: the newest record, or after expiry only that record's version. */
type Slot = { entry: MembershipRecord; version: EntryVersion } | { entry: undefined; version: EntryVersion; tombstoneUntilMs: number };

export interface MemberMapOptions {
  /** Whether the operator policy admits a worker id (must not throw). */
  isAdmitted: (workerId: string) => boolean;
  /**
   * Whether a key is a trusted observer's (an aggregator's), whose reputation records count (must not
   * throw). Default: none is, and every reputation record is dropped as NOT_ADMITTED.
   */
  isObserver?: (observer: string) => boolean;
  /** How far (ms) an entry's clock may read ahead of this replica's wall clock. */
  maxSkewMs: number;
  /** The replica's wall clock, epoch ms (defaults to Date.now). */
  now?: () => number;
}

/** Options a map cannot be built with. */
export class MemberMapOptionsError extends DrexError {
  override name = 'MemberMapOptionsError';
  readonly code = 'MEMBER_MAP_OPTIONS_INVALID';
}

/**
 * A replica of the membership: a delta-state CRDT map from key to the newest signed record under it
 * (last writer wins by HLC, then by signature), so merging is commutative, associative and idempotent.
 * It holds two kinds of records in one key space, digest and gossip: workers' member entries (under
 * the worker id) and trusted observers' reputation records (one per observer and worker, under
 * reputationKey(observer, subject)). Every record is checked before it counts (see checkEntry); the
 * dropped ones are counted by reason.
 *
 * Expiry keeps a tombstone (the expired record's version) until `hlc.wallMs + max life + maxSkewMs`
 * (the max life of its kind: MAX_TTL_MS for entries, REPUTATION_MAX_LIFE_MS for reputation records):
 * until then an older record under that key can still be unexpired (it may have signed a longer life),
 * and the tombstone refuses it as REPLAYED; after that every record not newer than the tombstone has
 * itself expired and is refused as EXPIRED, even if this replica's clock steps back by up to maxSkewMs.
 */
export class MemberMap {
  private readonly slots = new Map<string, Slot>();
  /** Worker id to the keys of the unexpired-or-not (not tombstoned) reputation records held of it. */
  private readonly bySubject = new Map<string, Set<string>>();
  private readonly options: Required<MemberMapOptions>;
  /** Received entries dropped, by reason (exact duplicates are not counted here). */
  readonly dropped: Record<RejectionReason, number> = Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<RejectionReason, number>;
  /** Received copies of the very entry already held (normal with gossip). */
  duplicates = 0;

  constructor(options: MemberMapOptions) {
    if (!Number.isSafeInteger(options.maxSkewMs) || options.maxSkewMs < 0) throw new MemberMapOptionsError(`maxSkewMs must be a non-negative integer, got ${options.maxSkewMs}`);
    this.options = { now: Date.now, isObserver: () => false, ...options };
  }

  /** Checks a received entry or record and keeps it when it is newer than what is held; returns the delta (it, or nothing). */
  apply(received: unknown): MembershipRecord[] {
    const check = checkEntry(received, {
      nowMs: this.options.now(),
      maxSkewMs: this.options.maxSkewMs,
      isAdmitted: this.options.isAdmitted,
      isObserver: this.options.isObserver,
      held: (key) => this.slots.get(key)?.version,
    });
    if (!check.ok) {
      if (check.duplicate) this.duplicates += 1;
      else this.dropped[check.reason] += 1;
      return [];
    }
    const record = check.entry;
    const key = recordKey(record);
    this.slots.set(key, { entry: record, version: recordVersion(record) });
    if (isReputationRecord(record)) this.index(record.subject, key);
    return [record];
  }

  /** Applies every entry of a delta (from gossip or anti-entropy); returns the ones that changed this replica. */
  merge(delta: readonly unknown[]): MembershipRecord[] {
    return delta.flatMap((e) => this.apply(e));
  }

  /**
   * Turns records that expired by `nowMs` into tombstones and forgets tombstones past their time;
   * returns the keys expired (worker ids for member entries).
   */
  expire(nowMs = this.options.now()): string[] {
    const expired: string[] = [];
    for (const [key, slot] of this.slots) {
      if (slot.entry === undefined) {
        if (slot.tombstoneUntilMs <= nowMs) this.slots.delete(key);
      } else if (slot.entry.expiresAtMs <= nowMs) {
        const record = slot.entry;
        this.slots.set(key, { entry: undefined, version: slot.version, tombstoneUntilMs: slot.version.hlc.wallMs + maxLifeMs(record) + this.options.maxSkewMs });
        if (isReputationRecord(record)) this.unindex(record.subject, key);
        expired.push(key);
      }
    }
    return expired;
  }

  /** The worker's entry, if it is a member (held and not expired). */
  get(workerId: string): MemberEntry | undefined {
    const entry = this.slots.get(workerId)?.entry;
    return entry && !isReputationRecord(entry) && entry.expiresAtMs > this.options.now() ? entry : undefined;
  }

  /** Every member (held and not expired), by worker id. */
  members(): MemberEntry[] {
    const now = this.options.now();
    return this.live(now).filter((e): e is MemberEntry => !isReputationRecord(e));
  }

  /** The unexpired reputation records held of `workerId` (of every worker, none given), by key. */
  reputationRecords(workerId?: string): ReputationRecord[] {
    const now = this.options.now();
    if (workerId === undefined) return this.live(now).filter(isReputationRecord);
    const keys = [...(this.bySubject.get(workerId) ?? [])].sort();
    return keys.map((k) => this.slots.get(k)!.entry as ReputationRecord).filter((r) => r.expiresAtMs > now);
  }

  /** The record `observer` holds of `subject`, expired or not (what its next record builds on), if any. */
  reputationRecord(observer: string, subject: string): ReputationRecord | undefined {
    const entry = this.slots.get(reputationKey(observer, subject))?.entry;
    return entry && isReputationRecord(entry) ? entry : undefined;
  }

  /**
   * The worker's reputation score at `nowMs` (default: this replica's clock), 0 to 100, from every
   * unexpired record of it (see reputationScore); 100 for a worker nobody reported on.
   */
  reputationOf(workerId: string, nowMs = this.options.now()): number {
    const keys = this.bySubject.get(workerId);
    if (!keys) return reputationScore([], nowMs);
    const records: ReputationRecord[] = [];
    for (const k of keys) {
      const r = this.slots.get(k)!.entry as ReputationRecord;
      if (r.expiresAtMs > nowMs) records.push(r);
    }
    return reputationScore(records, nowMs);
  }

  /** How many keys the replica holds a record or a tombstone for. */
  get size(): number {
    return this.slots.size;
  }

  /** Every held record (expired or not, tombstones aside), by key: the full state, as a delta. */
  entries(): MembershipRecord[] {
    return this.sortedKeys()
      .map((k) => this.slots.get(k)!.entry)
      .filter((e): e is MembershipRecord => e !== undefined);
  }

  /** A canonical serialization of the state: equal for two replicas exactly when they hold the same. */
  serialize(): string {
    return canonicalJson(
      this.sortedKeys().map((key) => {
        const slot = this.slots.get(key)!;
        return slot.entry ?? { tombstone: { key, wallMs: slot.version.hlc.wallMs, counter: slot.version.hlc.counter, signature: slot.version.signature } };
      }),
    );
  }

  /** The summary to send a peer for anti-entropy (bucket hashes), at `count` buckets (default: about 16 keys each). */
  digest(count?: number): BucketDigest {
    return summarize(this.versions(), count);
  }

  /**
   * The answer to a peer's digest: for a summary, the versions held in the buckets where the two differ
   * (no bucket when they are equal); for a `keys` digest, the versions held in the buckets it covers
   * (so that the peer can send back what this replica lacks). Throws MembershipDigestError on a malformed digest.
   */
  keysFor(remoteSummary: unknown): KeyDigest {
    const remote = parseDigest(remoteSummary);
    if (remote.kind !== 'buckets') return listKeys(this.versions(), remote.count, remote.buckets);
    return listKeys(this.versions(), remote.count, differingBuckets(this.versions(), remote));
  }

  /**
   * The unexpired records a peer lacks, given its digest: for a `keys` digest, exactly the held records
   * of its buckets that are newer than what it lists; for a `buckets` digest, every held record of the
   * buckets whose hash differs. Throws MembershipDigestError on a malformed digest.
   */
  missingFor(remoteDigest: unknown): MembershipRecord[] {
    const remote = parseDigest(remoteDigest);
    const versions = this.versions();
    const live = this.liveKeyed(this.options.now());
    if (remote.kind === 'buckets') {
      const differ = new Set(differingBuckets(versions, remote));
      return live.filter(([key]) => differ.has(bucketOf(key, remote.count))).map(([, e]) => e);
    }
    const covered = new Set(remote.buckets);
    const listed = new Map<string, KeyVersion>(remote.versions.map((v) => [v[0], v]));
    return live.filter(([key]) => covered.has(bucketOf(key, remote.count)) && isNewerThanListed(key, versions.get(key)!, listed)).map(([, e]) => e);
  }

  private index(subject: string, key: string): void {
    let keys = this.bySubject.get(subject);
    if (!keys) this.bySubject.set(subject, (keys = new Set()));
    keys.add(key);
  }

  private unindex(subject: string, key: string): void {
    const keys = this.bySubject.get(subject);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.bySubject.delete(subject);
  }

  /** The held unexpired records with their keys, by key. */
  private liveKeyed(now: number): [string, MembershipRecord][] {
    const out: [string, MembershipRecord][] = [];
    for (const key of this.sortedKeys()) {
      const e = this.slots.get(key)!.entry;
      if (e !== undefined && e.expiresAtMs > now) out.push([key, e]);
    }
    return out;
  }

  private live(now: number): MembershipRecord[] {
    return this.liveKeyed(now).map(([, e]) => e);
  }

  private versions(): Map<string, EntryVersion> {
    return new Map([...this.slots].map(([key, slot]) => [key, slot.version]));
  }

  private sortedKeys(): string[] {
    return [...this.slots.keys()].sort();
  }
}
