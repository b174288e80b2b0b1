import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '../../protocol/subjects.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { newIdentity } from './test-support/entries.ts';
import { entryNow, memberView, startReplica, until, type TestReplica } from './test-support/replicas.ts';

const names = natsNames('gossip-test');
let server: TestNatsServer;
let running: TestReplica[] = [];

beforeAll(async () => {
  server = await startNatsServer();
});
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop()));
  running = [];
});
afterAll(async () => {
  await server?.stop();
});

async function replicas(n: number, antiEntropyIntervalMs: number): Promise<TestReplica[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startReplica(server.url, names, { antiEntropyIntervalMs })));
  running.push(...started);
  return started;
}

const allEqual = (rs: readonly TestReplica[], expected: number) => () => {
  const first = memberView(rs[0]!.replica);
  return first.length === expected && rs.every((r) => JSON.stringify(memberView(r.replica)) === JSON.stringify(first));
};

describe('membership gossip on one nats-server', () => {
  it('five replicas converge by deltas alone within 2 s, each entry received once, nothing re-published', async () => {
    // Anti-entropy once a minute: only the deltas can make them converge within the bound.
    const rs = await replicas(5, 60_000);
    const workers = rs.map(() => [newIdentity(), newIdentity(), newIdentity()]);
    rs.forEach((r, i) => expect(r.replica.announce(workers[i]!.map((w) => entryNow(w)))).toHaveLength(3));
    await until('5 replicas holding 15 members', allEqual(rs, 15), 2_000);
    for (const { replica } of rs) {
      const s = replica.stats;
      // One hello and one delta of 3 entries each; 4 peers' deltas merged, 12 entries; no copy, no repair.
      expect(s.gossip.messagesSent).toBe(2);
      expect(s.gossip.entriesMerged).toBe(12);
      expect(s.duplicates).toBe(0);
      expect(s.antiEntropy.entriesRepaired).toBe(0);
      expect(s.peers).toBe(4);
    }
    // Announcing what a replica already holds changes nothing and publishes nothing.
    expect(rs[0]!.replica.announce(rs[0]!.replica.members())).toEqual([]);
    expect(rs[0]!.replica.stats.gossip.messagesSent).toBe(2);
  });

  it('a replica started after the deltas (a restart) catches up by anti-entropy within 3 s', async () => {
    const rs = await replicas(3, 60_000);
    const workers = Array.from({ length: 40 }, () => newIdentity());
    rs[0]!.replica.announce(workers.map((w) => entryNow(w)));
    await until('3 replicas holding 40 members', allEqual(rs, 40), 2_000);
    // It knows no peer yet: its first round goes to the shared subject's queue group; rounds every ~200 ms.
    const late = await startReplica(server.url, names, { antiEntropyIntervalMs: 200, maxMessageBytes: 8_192 });
    running.push(late);
    const ms = await until('the late replica holding 40 members', allEqual([...rs, late], 40), 3_000);
    expect(ms).toBeLessThan(3_000);
    const s = late.replica.stats;
    expect(s.antiEntropy.entriesRepaired).toBe(40);
    // 40 entries of ~550 bytes do not fit one 8 KiB message: the repair took several messages.
    expect(s.antiEntropy.bytesReceived).toBeGreaterThan(8_192);
    expect(s.gossip.entriesMerged).toBe(0);
  });

  it('splits a large delta into messages within the bound, and every replica takes in all of them', async () => {
    const rs = await replicas(2, 60_000);
    const sender = await startReplica(server.url, names, { antiEntropyIntervalMs: 60_000, maxMessageBytes: 4_096 });
    running.push(sender);
    const sizes: number[] = [];
    const spy = sender.nc.subscribe(names.membersDelta, { callback: (_e, m) => void sizes.push(m.data.byteLength) });
    await sender.nc.flush();
    const entries = Array.from({ length: 30 }, () => entryNow(newIdentity()));
    sender.replica.announce(entries);
    await until('2 replicas holding 30 members', allEqual(rs, 30), 2_000);
    await until('the spy seeing every delta message', () => sizes.length === sender.replica.stats.gossip.messagesSent - 1, 1_000);
    spy.unsubscribe();
    // 30 entries of about 550 bytes: at least 5 messages of at most 4 KiB each.
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(Buffer.byteLength(JSON.stringify(entries)) / 4_096));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4_096);
  });
});
