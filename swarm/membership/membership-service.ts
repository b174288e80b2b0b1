import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../log/logger.ts';
import { AnnouncementIntake } from './announcements.ts';
import { MembershipReplica, type MembershipReplicaOptions, type MembershipReplicaStats } from './gossip.ts';
import type { MemberEntry } from './member-entry.ts';
import type { MemberMap } from './member-map.ts';
import type { ReputationRecord } from './reputation-record.ts';

export interface MembershipServiceOptions extends Partial<Pick<MembershipReplicaOptions, 'id' | 'antiEntropyIntervalMs' | 'expiryIntervalMs' | 'now'>> {
  nc: NatsConnection;
  names: NatsNames;
  /** How far (ms) an entry's clock may read ahead of this process's (default 30 s). */
  maxSkewMs?: number;
  /**
   * Whether a worker is admitted (default: every worker, which is right where NATS credentials are the
   * admission: a worker can only announce itself, and only replicas may publish deltas).
   */
  isAdmitted?: (workerId: string) => boolean;
  /** The aggregators whose signed reputation records count (their public keys); none by default. */
  observers?: readonly string[];
  log?: Logger;
}

/** A process's membership: a CRDT replica fed by gossip, anti-entropy and the workers' own announcements. */
export interface MembershipService {
  readonly replica: MembershipReplica;
  /** The worker's live entry, if it is a member. */
  member(workerId: string): MemberEntry | undefined;
  /** Every live member. */
  members(): MemberEntry[];
  /** A worker's reputation (0..100) from the observers' records this replica holds. */
  reputationOf(workerId: string): number;
  /** The replica's map (where an observer reads its previous records). */
  readonly map: MemberMap;
  /** Takes in a local record (this process's reputation observations) and gossips it; returns it when it changed the replica. */
  announce(record: ReputationRecord): ReputationRecord[];
  stats(): MembershipReplicaStats & { announcements: { taken: number; dropped: AnnouncementIntake['dropped'] } };
  stop(): Promise<void>;
}

/**
 * Starts this process's membership replica (orchestrators and aggregators each hold one; none has
 * authority) and takes workers' announcements into it.
 */
export async function startMembershipService(o: MembershipServiceOptions): Promise<MembershipService> {
  const observers = new Set(o.observers ?? []);
  const replica = await MembershipReplica.start({
    nc: o.nc,
    names: o.names,
    isAdmitted: o.isAdmitted ?? (() => true),
    isObserver: (id) => observers.has(id),
    maxSkewMs: o.maxSkewMs ?? 30_000,
    ...(o.id ? { id: o.id } : {}),
    ...(o.antiEntropyIntervalMs ? { antiEntropyIntervalMs: o.antiEntropyIntervalMs } : {}),
    ...(o.expiryIntervalMs ? { expiryIntervalMs: o.expiryIntervalMs } : {}),
    ...(o.now ? { now: o.now } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const intake = new AnnouncementIntake({
    nc: o.nc,
    names: o.names,
    replica: { id: replica.id, take: (e) => void replica.map.apply(e), member: (w) => replica.map.get(w) },
    log: o.log,
  });
  await intake.start();
  // A replica that (re)starts next to others takes their state now rather than at its first tick.
  await replica.syncWith().catch(() => {});
  return {
    replica,
    member: (w) => replica.map.get(w),
    members: () => replica.members(),
    reputationOf: (w) => replica.reputationOf(w),
    map: replica.map,
    announce: (r) => replica.announce(r),
    stats: () => ({ ...replica.stats, announcements: { taken: intake.taken, dropped: { ...intake.dropped } } }),
    stop: async () => {
      await intake.stop();
      await replica.stop();
    },
  };
}
