import { Gauge, type Registry } from 'prom-client';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { HybridClock } from '../../swarm/membership/hlc.ts';
import { ReputationLedger, type ReputationSink } from '../../swarm/membership/reputation-ledger.ts';
import type { ObservationKind } from '../../swarm/membership/reputation-score.ts';

/** A worker's score with a clean record; scores stay within 0..100. */
export const CLEAN_REPUTATION = 100;

/** Where reputation lives: the process's membership replica (its records, gossiped, and the score they give). */
export interface ReputationReplica extends ReputationSink {
  reputationOf(workerId: string): number;
}

/**
 * This aggregator's observations of workers: each one is signed into the membership CRDT as this
 * aggregator's record of the worker (swarm/membership/reputation-ledger.ts) and gossiped, so every
 * replica computes the same score from every aggregator's records. Exports the score this replica
 * computes as `drex_worker_reputation{worker}` (the first 16 hex digits of its key).
 */
export class Reputation {
  private readonly gauge: Gauge<'worker'>;
  private readonly ledger: ReputationLedger;

  constructor(private readonly o: { replica: ReputationReplica; identity: Identity; registry: Registry; log: Logger }) {
    this.gauge = new Gauge({ name: 'drex_worker_reputation', help: 'Reputation score per worker as this replica computes it from every aggregator\'s signed observations (100: clean record)', labelNames: ['worker'], registers: [o.registry] });
    this.ledger = new ReputationLedger({ identity: o.identity, clock: new HybridClock(o.identity.id, { maxSkewMs: 30_000 }), sink: o.replica });
  }

  /** Records an observation of `workerId` (a valid result with its latency, an invalid one, a late half, a timeout). */
  observe(workerId: string, kind: ObservationKind, latencyMs?: number): void {
    try {
      this.ledger.record(workerId, kind, latencyMs);
    } catch (err) {
      this.o.log.error('reputation observation not recorded', { worker: workerId, kind, error: err });
    }
    this.gauge.set({ worker: workerId.slice(0, 16) }, this.of(workerId));
  }

  /** `workerId`'s score (100 = clean record). */
  of(workerId: string): number {
    return this.o.replica.reputationOf(workerId);
  }
}
