import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '../../protocol/subjects.ts';
import type { MemberEntry } from './member-entry.ts';
import { newIdentity } from './test-support/entries.ts';
import { startTwoServerCluster, type TwoServerCluster } from './test-support/nats-cluster.ts';
import { entryNow, memberView, reconnected, startReplica, until, type TestReplica } from './test-support/replicas.ts';

const names = natsNames('gossip-partition');
/** Mean anti-entropy interval of every replica (each round 0.5x to 1.5x of it). */
const INTERVAL_MS = 300;
/** Convergence bounds asserted: before the split (deltas) and after the heal (anti-entropy, about 27 mean intervals; 1.2 to 2.3 s observed). */
const CONVERGE_MS = 2_000;
const HEAL_MS = 8_000;

let cluster: TwoServerCluster;
let sideA: TestReplica[] = [];
let sideB: TestReplica[] = [];

beforeAll(async () => {
  cluster = await startTwoServerCluster();
  sideA = await Promise.all([0, 1, 2].map(() => startReplica(cluster.a.url, names, { antiEntropyIntervalMs: INTERVAL_MS, expiryIntervalMs: 100 })));
  sideB = await Promise.all([0, 1, 2].map(() => startReplica(cluster.b.url, names, { antiEntropyIntervalMs: INTERVAL_MS, expiryIntervalMs: 100 })));
});

afterAll(async () => {
  await Promise.all([...sideA, ...sideB].map((r) => r.stop()));
  await cluster?.stop();
});

const ids = (entries: readonly MemberEntry[]) => entries.map((e) => `${e.workerId}:${e.signature}`).sort();
const holdsExactly = (rs: readonly TestReplica[], expected: string[]) => () => rs.every((r) => JSON.stringify(memberView(r.replica)) === JSON.stringify(expected));

describe('membership gossip across a partition of a two-server NATS cluster', () => {
  it(`converges within ${HEAL_MS} ms of the heal, with members added on both sides and expired ones gone everywhere`, async () => {
    const all = [...sideA, ...sideB];
    // Before: each replica announces 2 long-lived workers; worker X (expires during the split) and
    // worker W (would expire too, but side b refreshes it during the split) are announced on side a.
    const long = all.map((r) => r.replica.announce([entryNow(newIdentity()), entryNow(newIdentity())])).flat();
    const x = newIdentity();
    const w = newIdentity();
    const xEntry = entryNow(x, 2_500);
    sideA[0]!.replica.announce([xEntry, entryNow(w, 2_500)]);
    await until('six replicas holding 14 members', () => all.every((r) => r.replica.members().length === 14), CONVERGE_MS);

    await cluster.split();
    await Promise.all(sideB.map((r) => reconnected(r)));
    // During: a new worker on each side; W refreshed on side b; worker Z announced on side a with a
    // short life, so that it expires before the heal and side b never hears of it.
    const na = entryNow(newIdentity());
    const nb = entryNow(newIdentity());
    const wRefreshed = entryNow(w, 60_000, 2);
    sideA[1]!.replica.announce([na, entryNow(newIdentity(), 1_500)]);
    sideB[1]!.replica.announce([nb, wRefreshed]);
    await until('side a holding its new worker', () => sideA.every((r) => r.replica.members().some((e) => e.signature === na.signature)), CONVERGE_MS);
    await until('side b holding its new worker', () => sideB.every((r) => r.replica.members().some((e) => e.signature === nb.signature)), CONVERGE_MS);
    // The partition is real: a second later, neither side has heard of the other's changes.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sideA.some((r) => r.replica.members().some((e) => e.signature === nb.signature || e.signature === wRefreshed.signature))).toBe(false);
    expect(sideB.some((r) => r.replica.members().some((e) => e.signature === na.signature))).toBe(false);
    // Wait for X and Z to expire (X was stamped about 2.5 s before this point at most).
    await until('X expired on both sides', () => all.every((r) => r.replica.map.get(x.id) === undefined), 3_000);
    await new Promise((r) => setTimeout(r, 600));

    await cluster.heal();
    await Promise.all(sideB.map((r) => reconnected(r)));
    const expected = ids([...long, na, nb, wRefreshed]);
    const healMs = await until('six replicas holding the same 15 members', holdsExactly(all, expected), HEAL_MS);
    expect(healMs).toBeLessThan(HEAL_MS);
    for (const r of all) {
      expect(r.replica.map.get(x.id)).toBeUndefined();
      expect(r.replica.map.get(w.id)?.score).toBe(2);
    }
    const repaired = all.reduce((n, r) => n + r.replica.stats.antiEntropy.entriesRepaired, 0);
    // Nothing is re-published after the heal: each of side a's replicas took nb and W's refresh, and each
    // of side b's took na, by anti-entropy, once.
    expect(repaired).toBe(3 * 2 + 3 * 1);
  });
});
