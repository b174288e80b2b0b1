import { canonicalJson } from '../../protocol/canonical.ts';
import { DrexError } from '../../protocol/errors.ts';
import { checkEntry, REJECTION_REASONS, type RejectionReason } from './check-entry.ts';
import { bucketOf, differingBuckets, isNewerThanListed, listKeys, parseDigest, summarize, type BucketDigest, type KeyDigest, type KeyVersion } from './digest.ts';
import { entryVersion, MAX_TTL_MS, type EntryVersion, type MemberEntry } from './member-entry.ts';

/** What a replica holds for one worker: its newest entry, or after expiry only that entry's version. */
type Slot = { entry: MemberEntry; version: EntryVersion } | { entry: undefined; version: EntryVersion; tombstoneUntilMs: number };

export interface MemberMapOptions {
  /** Whether the operator policy admits a worker id (must not throw). */
  isAdmitted: (workerId: string) => boolean;
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
 * A replica of the membership: a delta-state CRDT map from worker id to that worker's newest signed
 * entry (last writer wins by HLC, then by signature), so merging is commutative, associative and
 * idempotent. Every entry is checked before it counts (see checkEntry); the dropped ones are counted
 * by reason.
 *
 * Expiry keeps a tombstone (the expired entry's version) until `hlc.wallMs + MAX_TTL_MS + maxSkewMs`:
 * until then an older entry of that worker can still be unexpired (it may have signed a longer life),
 * and the tombstone refuses it as REPLAYED; after that every entry not newer than the tombstone has
 * itself expired (expiresAtMs <= hlc.wallMs + MAX_TTL_MS) and is refused as EXPIRED, even if this
 * replica's clock steps back by up to maxSkewMs.
 */
export class MemberMap {
  private readonly slots = new Map<string, Slot>();
  private readonly options: Required<MemberMapOptions>;
  /** Received entries dropped, by reason (exact duplicates are not counted here). */
  readonly dropped: Record<RejectionReason, number> = Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<RejectionReason, number>;
  /** Received copies of the very entry already held (normal with gossip). */
  duplicates = 0;

  constructor(options: MemberMapOptions) {
    if (!Number.isSafeInteger(options.maxSkewMs) || options.maxSkewMs < 0) throw new MemberMapOptionsError(`maxSkewMs must be a non-negative integer, got ${options.maxSkewMs}`);
    this.options = { now: Date.now, ...options };
  }

  /** Checks a received entry and keeps it when it is newer than what is held; returns the delta (the entry, or nothing). */
  apply(received: unknown): MemberEntry[] {
    const check = checkEntry(received, {
      nowMs: this.options.now(),
      maxSkewMs: this.options.maxSkewMs,
      isAdmitted: this.options.isAdmitted,
      held: (id) => this.slots.get(id)?.version,
    });
    if (!check.ok) {
      if (check.duplicate) this.duplicates += 1;
      else this.dropped[check.reason] += 1;
      return [];
    }
    this.slots.set(check.entry.workerId, { entry: check.entry, version: entryVersion(check.entry) });
    return [check.entry];
  }

  /** Applies every entry of a delta (from gossip or anti-entropy); returns the entries that changed this replica. */
  merge(delta: readonly unknown[]): MemberEntry[] {
    return delta.flatMap((e) => this.apply(e));
  }

  /** Turns entries that expired by `nowMs` into tombstones and forgets tombstones past their time; returns the expired worker ids. */
  expire(nowMs = this.options.now()): string[] {
    const expired: string[] = [];
    for (const [id, slot] of this.slots) {
      if (slot.entry === undefined) {
        if (slot.tombstoneUntilMs <= nowMs) this.slots.delete(id);
      } else if (slot.entry.expiresAtMs <= nowMs) {
        this.slots.set(id, { entry: undefined, version: slot.version, tombstoneUntilMs: slot.version.hlc.wallMs + MAX_TTL_MS + this.options.maxSkewMs });
        expired.push(id);
      }
    }
    return expired;
  }

  /** The worker's entry, if it is a member (held and not expired). */
  get(workerId: string): MemberEntry | undefined {
    const entry = this.slots.get(workerId)?.entry;
    return entry && entry.expiresAtMs > this.options.now() ? entry : undefined;
  }

  /** Every member (held and not expired), by worker id. */
  members(): MemberEntry[] {
    const now = this.options.now();
    return this.sortedIds()
      .map((id) => this.slots.get(id)!.entry)
      .filter((e): e is MemberEntry => e !== undefined && e.expiresAtMs > now);
  }

  /** How many workers the replica holds an entry or a tombstone for. */
  get size(): number {
    return this.slots.size;
  }

  /** Every held entry (expired or not, tombstones aside), by worker id: the full state, as a delta. */
  entries(): MemberEntry[] {
    return this.sortedIds()
      .map((id) => this.slots.get(id)!.entry)
      .filter((e): e is MemberEntry => e !== undefined);
  }

  /** A canonical serialization of the state: equal for two replicas exactly when they hold the same. */
  serialize(): string {
    return canonicalJson(
      this.sortedIds().map((id) => {
        const slot = this.slots.get(id)!;
        return slot.entry ?? { tombstone: { workerId: id, wallMs: slot.version.hlc.wallMs, counter: slot.version.hlc.counter, signature: slot.version.signature } };
      }),
    );
  }

  /** The summary to send a peer for anti-entropy (bucket hashes), at `count` buckets (default: about 16 members each). */
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
   * The unexpired entries a peer lacks, given its digest: for a `keys` digest, exactly the held entries
   * of its buckets that are newer than what it lists; for a `buckets` digest, every held entry of the
   * buckets whose hash differs. Throws MembershipDigestError on a malformed digest.
   */
  missingFor(remoteDigest: unknown): MemberEntry[] {
    const remote = parseDigest(remoteDigest);
    const versions = this.versions();
    const now = this.options.now();
    const live = this.entries().filter((e) => e.expiresAtMs > now);
    if (remote.kind === 'buckets') {
      const differ = new Set(differingBuckets(versions, remote));
      return live.filter((e) => differ.has(bucketOf(e.workerId, remote.count)));
    }
    const covered = new Set(remote.buckets);
    const listed = new Map<string, KeyVersion>(remote.versions.map((v) => [v[0], v]));
    return live.filter((e) => covered.has(bucketOf(e.workerId, remote.count)) && isNewerThanListed(e.workerId, versions.get(e.workerId)!, listed));
  }

  private versions(): Map<string, EntryVersion> {
    return new Map([...this.slots].map(([id, slot]) => [id, slot.version]));
  }

  private sortedIds(): string[] {
    return [...this.slots.keys()].sort();
  }
}
