import type { MembershipService } from '../../swarm/membership/membership-service.ts';
import type { CapabilitiesV2, MemberEntry } from '../../swarm/membership/member-entry.ts';
import { isReputationRecord } from '../../swarm/membership/membership-record.ts';

/** A worker as the regulator API shows it: what its signed membership entry declares, and whether it is live. */
export interface WorkerView {
  workerId: string;
  runtime: CapabilitiesV2['runtime'];
  threads: number;
  gpu: boolean;
  tee: boolean;
  /** Where it computes MSMs. */
  msmBackend: CapabilitiesV2['msmBackend'];
  operator: string;
  /** Proofs per minute it measured on itself (0: unknown). */
  score: number;
  /** The software version it declares. */
  version: string;
  /** `live` until its last entry expires. */
  liveness: 'live' | 'expired';
  /** When it signed its last entry (its clock, epoch ms) and when that entry expires. */
  lastSeenMs: number;
  expiresMs: number;
  /** Its reputation as this replica computes it from the aggregators' signed observations (0..100, 100: clean record), null when not computed. */
  reputation: number | null;
  /**
   * `none` for a worker that is not a TEE; `unverified` for one that declares a TEE: its attestation is
   * checked by the job gateway at each whole job it is given (a batch's proofs show it).
   */
  attestation: 'none' | 'unverified';
}

/** The runtime and MSM backend a worker declared, for metric labels (`unknown` when not known). */
export interface WorkerLabels {
  runtime: string;
  msmBackend: string;
}

/** A worker whose entry expired this long ago is no longer listed. */
const FORGET_AFTER_MS = 3_600_000;

/** The view of an entry at `now`. */
export function workerView(e: MemberEntry, now: number, reputation: number | null = null): WorkerView {
  const c = e.capabilities;
  return {
    workerId: e.workerId,
    runtime: c.runtime,
    threads: c.threads,
    gpu: c.gpu,
    tee: c.tee,
    msmBackend: c.msmBackend,
    operator: e.operator,
    score: e.score,
    version: e.version,
    liveness: e.expiresAtMs > now ? 'live' : 'expired',
    lastSeenMs: e.hlc.wallMs,
    expiresMs: e.expiresAtMs,
    reputation,
    attestation: c.tee ? 'unverified' : 'none',
  };
}

/**
 * The orchestrator's view of the membership for people: the workers its replica holds (and, for an
 * hour, the ones whose entries expired), and the replica's drop counters. Serves the regulator API's
 * worker list and labels metric observations by a worker's runtime and MSM backend.
 */
export class MemberDirectory {
  private readonly seen = new Map<string, MemberEntry>();

  constructor(private readonly o: { membership: MembershipService; reputationOf?: (workerId: string) => number | null }) {}

  /** Every known worker (live first, then by last entry, newest first), and the entries the replica dropped, by reason. */
  list(now = Date.now()): { workers: WorkerView[]; dropped: Record<string, number> } {
    this.refresh(now);
    const workers = [...this.seen.values()]
      .map((e) => workerView(e, now, this.o.reputationOf?.(e.workerId) ?? null))
      .sort((a, b) => (a.liveness === b.liveness ? b.lastSeenMs - a.lastSeenMs : a.liveness === 'live' ? -1 : 1));
    return { workers, dropped: this.o.membership.stats().dropped };
  }

  /** The metric labels of a worker (`unknown` for one the directory does not know). */
  labelsOf(workerId: string): WorkerLabels {
    const e = this.o.membership.member(workerId) ?? this.seen.get(workerId);
    return { runtime: e?.capabilities.runtime ?? 'unknown', msmBackend: e?.capabilities.msmBackend ?? 'unknown' };
  }

  private refresh(now: number): void {
    for (const e of this.o.membership.replica.map.entries()) {
      if (isReputationRecord(e)) continue;
      const had = this.seen.get(e.workerId);
      if (!had || had.hlc.wallMs < e.hlc.wallMs || (had.hlc.wallMs === e.hlc.wallMs && had.hlc.counter < e.hlc.counter)) this.seen.set(e.workerId, e);
    }
    for (const [k, e] of this.seen) if (e.expiresAtMs + FORGET_AFTER_MS < now) this.seen.delete(k);
  }
}
