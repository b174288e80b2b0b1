import { describe, expect, it } from 'vitest';
import { HybridClock } from './hlc.ts';
import type { MemberMap } from './member-map.ts';
import { ReputationLedger, ReputationRecordRefusedError } from './reputation-ledger.ts';
import { REPUTATION_HALF_LIFE_MS, REPUTATION_THRESHOLD } from './reputation-score.ts';
import { newIdentity, NOW, replica, SKEW_MS } from './test-support/entries.ts';

const aggregator = newIdentity();
const worker = newIdentity();

/** A ledger on an in-memory map (what a MembershipReplica does, without the publishing). */
function ledgerOn(map: MemberMap, clock: { now: number }, identity = aggregator): ReputationLedger {
  const sink = { announce: (r: unknown) => map.apply(r), map };
  return new ReputationLedger({ identity, clock: new HybridClock(identity.id, { maxSkewMs: SKEW_MS, wallClock: () => clock.now }), sink });
}

describe('an observer reputation ledger', () => {
  it('re-signs its one record of a worker at each observation, building on the one held, and the replica keeps it', () => {
    const clock = { now: NOW };
    const map = replica(clock, undefined, new Set([aggregator.id]));
    const ledger = ledgerOn(map, clock);
    const first = ledger.record(worker.id, 'valid', 900);
    expect(first).toMatchObject({ observer: aggregator.id, subject: worker.id, tally: { valid: 1, invalid: 0, latencyMs: 900 } });
    expect(map.reputationRecords(worker.id)).toEqual([first]);
    const second = ledger.record(worker.id, 'invalid');
    expect(second.hlc.counter).toBe(first.hlc.counter + 1);
    expect(second.tally).toMatchObject({ valid: 1, invalid: 1, latencyMs: 900 });
    expect(map.reputationOf(worker.id)).toBe(50);
    clock.now += REPUTATION_HALF_LIFE_MS;
    const third = ledger.record(worker.id, 'invalid');
    expect(third.tally).toMatchObject({ valid: 0.5, invalid: 1.5 });
    expect(map.reputationRecords(worker.id)).toEqual([third]);
    expect(map.reputationOf(worker.id)).toBe(35.36);
    ledger.record(worker.id, 'invalid');
    expect(map.reputationOf(worker.id)).toBe(17.68);
    expect(map.reputationOf(worker.id)).toBeLessThan(REPUTATION_THRESHOLD);
  });

  it('builds on the record held even when its own clock restarted behind it', () => {
    const clock = { now: NOW };
    const map = replica(clock, undefined, new Set([aggregator.id]));
    ledgerOn(map, clock).record(worker.id, 'timeout');
    clock.now -= 1_000;
    const after = ledgerOn(map, clock).record(worker.id, 'timeout');
    expect(after.tally.timeouts).toBe(2);
    expect(map.reputationRecords(worker.id)).toEqual([after]);
  });

  it('throws by name when the replica does not trust its key', () => {
    const clock = { now: NOW };
    const map = replica(clock);
    expect(() => ledgerOn(map, clock).record(worker.id, 'invalid')).toThrow(ReputationRecordRefusedError);
    expect(map.dropped.NOT_ADMITTED).toBe(1);
  });
});
