import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../log/logger.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, replicaId } from './gossip-messages.ts';
import type { MemberEntry } from './member-entry.ts';
import type { MembershipRecord } from './membership-record.ts';
import type { MemberMap, MemberMapOptions } from './member-map.ts';
import { PeerSet } from './peer-set.ts';
import { MembershipCore, MembershipOptionsError, type MembershipStats } from './replica-core.ts';
import type { RoundOutcome } from './sync-protocol.ts';

export interface MembershipReplicaOptions extends MemberMapOptions {
  nc: NatsConnection;
  names: NatsNames;
  /** This replica's id, a subject token (default: 16 random hex digits). */
  id?: string;
  /** Mean time between anti-entropy rounds, jittered to 0.5x-1.5x (default 5 s). */
  antiEntropyIntervalMs?: number;
  /** Time between expiry passes (default 1 s). */
  expiryIntervalMs?: number;
  /** Bound of every message sent or accepted (default 256 KiB, at most the server's max_payload). */
  maxMessageBytes?: number;
  /** How long a peer that went quiet stays a candidate for anti-entropy (default 10 anti-entropy intervals). */
  peerTtlMs?: number;
  /** Wait for a peer's anti-entropy reply (default 2 s). */
  requestTimeoutMs?: number;
  /** Most rounds in a row with one peer while they still come back truncated (default 8). */
  maxRoundsPerTick?: number;
  random?: () => number;
  log?: Logger;
}

/** Membership replica state with its counters, and the peers it may ask. */
export type MembershipReplicaStats = MembershipStats & { peers: number };

/**
 * A membership replica on NATS. Local changes go out as deltas on `members.v1.delta` (split to the
 * byte bound); others' deltas are checked entry by entry and merged, never re-published. Every
 * anti-entropy interval it says hello (an empty delta) when it has published nothing since the last
 * one, and runs the digest exchange (sync-protocol.ts) over request/reply with a random peer heard from
 * lately, on that peer's `members.v1.sync.<id>` (knowing none, on `members.v1.sync`, where the queue
 * group `members` picks one), so replicas that missed deltas (a partition, a restart) converge. It
 * expires entries and records every expiry interval. No replica has authority over the others.
 */
export class MembershipReplica {
  readonly core: MembershipCore;
  private readonly peers: PeerSet;
  private readonly subs: Subscription[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly random: () => number;
  private readonly now: () => number;
  private lastPublishMs = -Infinity;
  private tick: Promise<void> | undefined;
  private stopped = false;

  private constructor(private readonly o: MembershipReplicaOptions, id: string, maxMessageBytes: number) {
    this.core = new MembershipCore({ ...o, id, maxMessageBytes });
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    this.peers = new PeerSet(o.peerTtlMs ?? 10 * this.interval());
  }

  /** Subscribes to the delta subject and to this replica's sync subject, says hello, and starts the timers. */
  static async start(o: MembershipReplicaOptions): Promise<MembershipReplica> {
    const id = o.id ?? randomBytes(8).toString('hex');
    if (!replicaId.safeParse(id).success) throw new MembershipOptionsError(`replica id must be 1 to 64 characters of [A-Za-z0-9_-], got ${JSON.stringify(id)}`);
    const maxPayload = o.nc.info?.max_payload ?? DEFAULT_MAX_MESSAGE_BYTES;
    const r = new MembershipReplica(o, id, Math.min(o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, maxPayload));
    r.subs.push(o.nc.subscribe(o.names.membersDelta, { callback: (err, msg) => (err ? r.warn('delta subscription failed', err) : r.onDelta(msg.data)) }));
    const answer = (err: Error | null, msg: Msg) => {
      if (err) return r.warn('sync subscription failed', err);
      const { reply, from } = r.core.antiEntropy.answer(msg.data);
      if (from !== undefined && from !== id) r.peers.seen(from, r.now());
      msg.respond(reply);
    };
    r.subs.push(o.nc.subscribe(o.names.membersSync(id), { callback: answer }));
    r.subs.push(o.nc.subscribe(o.names.membersSyncAny, { queue: o.names.membersQueue, callback: answer }));
    await o.nc.flush();
    r.publish(r.core.outgoing([]));
    r.schedule(() => r.runTick(), () => r.interval() * (0.5 + r.random()));
    r.schedule(() => void r.core.expire(), () => o.expiryIntervalMs ?? 1_000);
    return r;
  }

  get id(): string {
    return this.core.id;
  }

  get map(): MemberMap {
    return this.core.map;
  }

  /** Live members, by worker id. */
  members(): MemberEntry[] {
    return this.core.map.members();
  }

  /** Counters as plain numbers (a snapshot). */
  get stats(): MembershipReplicaStats {
    return { ...this.core.stats, peers: this.peers.size };
  }

  /** A worker's reputation score, 0 to 100, at `nowMs` (default: now) from every trusted observer's record of it. */
  reputationOf(workerId: string, nowMs?: number): number {
    return this.core.reputationOf(workerId, nowMs);
  }

  /**
   * Takes in local member entries or reputation records and publishes the ones that changed this
   * replica; returns them (a record this replica refuses, such as one of an observer it does not
   * trust, is counted under stats.dropped and not published).
   */
  announce<T extends MembershipRecord>(entries: T | readonly T[]): T[] {
    const { changed, messages } = this.core.local(Array.isArray(entries) ? entries : [entries as T]);
    this.publish(messages);
    // Each changed record is one of `entries`, as parsed by its schema.
    return changed as T[];
  }

  /**
   * One anti-entropy round with `peer`, or (none given) with whichever replica the shared subject's
   * queue group picks; a peer that does not answer is forgotten until heard from again.
   */
  async syncWith(peer?: string): Promise<RoundOutcome> {
    const subject = peer === undefined ? this.o.names.membersSyncAny : this.o.names.membersSync(peer);
    try {
      return await this.core.antiEntropy.round(async (req) => (await this.o.nc.request(subject, req, { timeout: this.o.requestTimeoutMs ?? 2_000 })).data);
    } catch (err) {
      if (peer !== undefined) this.peers.forget(peer);
      throw err;
    }
  }

  /** Stops the timers, waits for a round in progress, and closes the subscriptions (not the connection). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.tick;
    await Promise.all(this.subs.map((s) => s.drain().catch(() => s.unsubscribe())));
  }

  private interval(): number {
    return this.o.antiEntropyIntervalMs ?? 5_000;
  }

  private onDelta(data: Uint8Array): void {
    const got = this.core.receive(data);
    if (got) this.peers.seen(got.from, this.now());
  }

  private runTick(): void {
    if (this.tick) return;
    this.tick = this.antiEntropyTick().finally(() => (this.tick = undefined));
  }

  /** A hello when quiet, then rounds with one random peer while they come back truncated. */
  private async antiEntropyTick(): Promise<void> {
    if (this.now() - this.lastPublishMs >= this.interval()) this.publish(this.core.outgoing([]));
    // Knowing no peer yet (just started, or every peer went quiet), ask any replica through the queue group.
    const peer = this.peers.pick(this.now(), this.random);
    for (let i = 0; i < (this.o.maxRoundsPerTick ?? 8) && !this.stopped; i += 1) {
      try {
        if (!(await this.syncWith(peer)).truncated) return;
      } catch (err) {
        this.o.log?.debug('membership anti-entropy round failed', { peer, error: err });
        return;
      }
    }
  }

  private publish(messages: readonly Uint8Array[]): void {
    if (messages.length === 0) return;
    try {
      for (const m of messages) this.o.nc.publish(this.o.names.membersDelta, m);
      this.lastPublishMs = this.now();
    } catch (err) {
      this.warn('membership delta not published', err);
    }
  }

  private schedule(run: () => void, delay: () => number): void {
    const loop = () => {
      if (this.stopped) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (this.stopped) return;
        run();
        loop();
      }, delay());
      this.timers.add(t);
    };
    loop();
  }

  private warn(msg: string, error: unknown): void {
    this.o.log?.warn(msg, { replica: this.id, error });
  }
}
