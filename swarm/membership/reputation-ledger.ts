import { DrexError } from '../../protocol/errors.ts';
import type { Identity } from '../identity/ed25519.ts';
import { reputationHlc, REPUTATION_MAX_LIFE_MS, signReputationRecord, type ReputationRecord } from './reputation-record.ts';
import { observe, type ObservationKind } from './reputation-score.ts';
import type { HybridClock } from './hlc.ts';

/** Where a ledger reads its previous record of a worker and announces the next (a MembershipReplica is one). */
export interface ReputationSink {
  /** Takes in a local record; returns what changed the replica (empty when it refused the record). */
  announce(record: ReputationRecord): readonly unknown[];
  map: { reputationRecord(observer: string, subject: string): ReputationRecord | undefined };
}

/** The replica did not keep a record the ledger signed (most often: this observer's key is not among its trusted observers). */
export class ReputationRecordRefusedError extends DrexError {
  override name = 'ReputationRecordRefusedError';
  readonly code = 'REPUTATION_RECORD_REFUSED';
}

/**
 * An observer's (an aggregator's) side of reputation: each observation of a worker re-signs the
 * observer's one record of it, its previous tally decayed to now plus the observation, with a newer
 * HLC, and announces it to the replica, which gossips it.
 */
export class ReputationLedger {
  constructor(private readonly o: { identity: Identity; clock: HybridClock; sink: ReputationSink }) {}

  /**
   * Records one observation of worker `subject` (for a valid result, its latency in ms); returns the
   * record announced. Throws ReputationRecordRefusedError when the replica refuses it.
   */
  record(subject: string, kind: ObservationKind, latencyMs?: number): ReputationRecord {
    const { identity, clock, sink } = this.o;
    const previous = sink.map.reputationRecord(identity.id, subject);
    // After a restart the clock may be behind the record held: take that record's clock in first.
    const hlc = previous ? clock.receive(reputationHlc(previous)) : clock.now();
    const tally = observe(previous, latencyMs === undefined ? { kind } : { kind, latencyMs }, hlc.wallMs);
    const record = signReputationRecord(identity, { subject, hlc: { wallMs: hlc.wallMs, counter: hlc.counter }, tally, expiresAtMs: hlc.wallMs + REPUTATION_MAX_LIFE_MS });
    if (sink.announce(record).length === 0) {
      throw new ReputationRecordRefusedError(`the membership replica refused observer ${identity.id}'s reputation record of worker ${subject}: check that this key is among its trusted observers (isObserver) and its clock`);
    }
    return record;
  }
}
