import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '../../protocol/subjects.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { HybridClock } from './hlc.ts';
import { ReputationLedger } from './reputation-ledger.ts';
import { REPUTATION_THRESHOLD, reputationScore } from './reputation-score.ts';
import { newIdentity, SKEW_MS } from './test-support/entries.ts';
import { entryNow, startReplica, until, type TestReplica } from './test-support/replicas.ts';

const names = natsNames('gossip-reputation');
const aggregators = [newIdentity(), newIdentity()];
const trusted = new Set(aggregators.map((a) => a.id));
const isObserver = (id: string) => trusted.has(id);
let server: TestNatsServer;
const running: TestReplica[] = [];

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await server?.stop();
});

async function start(antiEntropyIntervalMs: number): Promise<TestReplica> {
  const r = await startReplica(server.url, names, { antiEntropyIntervalMs, isObserver });
  running.push(r);
  return r;
}

/** A replica's reputation records of `workerId`, as observer:signature, sorted. */
const recordsView = (r: TestReplica, workerId: string) => r.replica.map.reputationRecords(workerId).map((x) => `${x.observer}:${x.signature}`).sort();

describe('reputation gossip on one nats-server', () => {
  it("carries two aggregators' records to every replica, by deltas and by anti-entropy, and every replica scores the worker alike, below the threshold after 2 invalid results", async () => {
    // Anti-entropy once a minute on the first two: they hear each other by deltas.
    const [r0, r1] = [await start(60_000), await start(60_000)];
    const worker = newIdentity();
    r0.replica.announce(entryNow(worker));
    const [ledgerA, ledgerB] = [
      new ReputationLedger({ identity: aggregators[0]!, clock: new HybridClock(aggregators[0]!.id, { maxSkewMs: SKEW_MS }), sink: r0.replica }),
      new ReputationLedger({ identity: aggregators[1]!, clock: new HybridClock(aggregators[1]!.id, { maxSkewMs: SKEW_MS }), sink: r1.replica }),
    ];

    // Aggregator A (on r0) sees a valid result, then an invalid one: the worker keeps its work.
    ledgerA.record(worker.id, 'valid', 850);
    const a1 = ledgerA.record(worker.id, 'invalid');
    await until('r1 holding A\'s record', () => recordsView(r1, worker.id).includes(`${a1.observer}:${a1.signature}`), 2_000);
    for (const r of [r0, r1]) expect(r.replica.reputationOf(worker.id, a1.hlc.wallMs)).toBe(50);

    // Aggregator B (on r1) sees another invalid result.
    const b1 = ledgerB.record(worker.id, 'invalid');
    const expected = [`${a1.observer}:${a1.signature}`, `${b1.observer}:${b1.signature}`].sort();
    await until('r0 holding both records', () => JSON.stringify(recordsView(r0, worker.id)) === JSON.stringify(expected), 2_000);

    // A third replica starts after all that and catches up by anti-entropy alone.
    const r2 = await start(200);
    await until('r2 holding both records', () => JSON.stringify(recordsView(r2, worker.id)) === JSON.stringify(expected), 3_000);
    expect(r2.replica.members().map((e) => e.workerId)).toEqual([worker.id]);
    expect(r2.replica.stats.antiEntropy.entriesRepaired).toBe(3);
    expect(r2.replica.stats.gossip.entriesMerged).toBe(0);

    const at = Date.now();
    const score = reputationScore([a1, b1], at);
    expect(score).toBeLessThan(REPUTATION_THRESHOLD);
    for (const r of [r0, r1, r2]) {
      expect(r.replica.reputationOf(worker.id, at)).toBe(score);
      expect(r.replica.stats.reputationRecords).toBe(2);
      expect(r.replica.stats.dropped.NOT_ADMITTED).toBe(0);
    }
  });
});
