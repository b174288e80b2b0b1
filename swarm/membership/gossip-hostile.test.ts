import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '../../protocol/subjects.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { entrySigningBytes, signMemberEntry, type MemberEntry } from './member-entry.ts';
import { newIdentity, nodeCapabilities, SKEW_MS } from './test-support/entries.ts';
import { entryNow, memberView, startReplica, until, type TestReplica } from './test-support/replicas.ts';

const names = natsNames('gossip-hostile');
const worker = newIdentity();
const attacker = newIdentity();
const outsider = newIdentity();
let server: TestNatsServer;
let rs: TestReplica[];
let nc: NatsConnection;
/** Every delta message seen on the subject, with its sender. */
const seen: { from: string; entries: MemberEntry[] }[] = [];

function stamped(wallMs: number, ttlMs = 60_000, identity = worker): MemberEntry {
  return signMemberEntry(identity, { operator: 'op-a', capabilities: nodeCapabilities, score: 1, version: '0.1.0', hlc: { wallMs, counter: 0 }, expiresAtMs: wallMs + ttlMs });
}

const delta = (entries: unknown[]) => JSON.stringify({ v: 1, from: 'mallory', entries });

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  nc.subscribe(names.membersDelta, {
    callback: (_e, m) => {
      try {
        seen.push(m.json());
      } catch {
        // Not JSON: one of the test's own bad messages.
      }
    },
  });
  // Anti-entropy once a minute: what the replicas hold comes from the deltas under test.
  rs = await Promise.all([0, 1].map(() => startReplica(server.url, names, { antiEntropyIntervalMs: 60_000, maxMessageBytes: 16_384, isAdmitted: (id) => id !== outsider.id })));
});

afterAll(async () => {
  await Promise.all((rs ?? []).map((r) => r.stop()));
  await nc?.close();
  await server?.stop();
});

describe('membership gossip under hostile deltas', () => {
  it('drops forged, replayed, future-dated, expired and non-admitted entries and bad messages, counts each, merges and echoes none', async () => {
    const now = Date.now();
    const older = stamped(now - 10_000);
    const genuine = stamped(now - 5_000);
    // Forgeries newer than the held entry (an older one would be dropped as REPLAYED before its signature is checked).
    const newer = stamped(now - 1_000);
    const { signature: _s, ...unsigned } = newer;
    const forgedByOther: MemberEntry = { ...unsigned, signature: attacker.sign(entrySigningBytes(unsigned)) };
    const tampered: MemberEntry = { ...newer, score: 1_000_000 };
    nc.publish(names.membersDelta, delta([genuine]));
    await until('both replicas holding the genuine entry', () => rs.every((r) => r.replica.members().length === 1), 2_000);

    nc.publish(names.membersDelta, delta([older, genuine, forgedByOther, tampered]));
    nc.publish(names.membersDelta, delta([stamped(now + SKEW_MS + 60_000), stamped(now - 120_000, 60_000), entryNow(outsider)]));
    nc.publish(names.membersDelta, delta([{ ...genuine, v: 3 }]));
    nc.publish(names.membersDelta, 'not json');
    nc.publish(names.membersDelta, JSON.stringify({ v: 1, from: 'mallory', entries: [], extra: 1 }));
    nc.publish(names.membersDelta, delta(Array.from({ length: 40 }, () => genuine)));
    await nc.flush();
    // One connection's messages arrive in order: the last (oversized) one read means all were.
    await until('both replicas reading every message', () => rs.every((r) => r.replica.stats.dropped.OVERSIZED_MESSAGE === 1), 2_000);

    for (const { replica } of rs) {
      expect(replica.stats.dropped).toEqual({
        REPLAYED: 1,
        BAD_SIGNATURE: 2,
        FUTURE: 1,
        EXPIRED: 1,
        NOT_ADMITTED: 1,
        MALFORMED: 1,
        OVERSIZED: 0,
        MALFORMED_MESSAGE: 2,
        OVERSIZED_MESSAGE: 1,
      });
      expect(replica.stats.duplicates).toBe(1);
      expect(memberView(replica)).toEqual([`${genuine.workerId}:${genuine.signature}`]);
    }
    // The replicas published their hellos and nothing else: no entry went back out. (A replica's publish
    // reaches the server before its flush returns, and the server hands it to the spy before the spy's flush returns.)
    // Seven messages from mallory, six of them JSON.
    await until('the spy seeing every message', () => seen.filter((m) => m.from === 'mallory').length === 6, 2_000);
    await Promise.all(rs.map((r) => r.nc.flush()));
    await nc.flush();
    const fromReplicas = seen.filter((m) => m.from !== 'mallory');
    expect(fromReplicas.map((m) => m.entries.length)).toEqual([0, 0]);
  });

  it('drops the same entries pushed through anti-entropy, and refuses malformed requests with a named code', async () => {
    const [r] = rs;
    const before = r!.replica.stats;
    const now = Date.now();
    const bad = [stamped(now + SKEW_MS + 60_000), entryNow(outsider), { ...stamped(now - 1_000), score: 7 }];
    const ask = async (req: unknown) => (await nc.request(names.membersSync(r!.replica.id), JSON.stringify(req), { timeout: 2_000 })).json<Record<string, unknown>>();
    const keys = { kind: 'keys', count: 1, buckets: [0], versions: [] };
    expect(await ask({ v: 1, op: 'push', from: 'mallory', maxBytes: 16_384, entries: bad, keys })).toMatchObject({ ok: true, op: 'push', truncated: false });
    const after = r!.replica.stats;
    expect(after.dropped.FUTURE - before.dropped.FUTURE).toBe(1);
    expect(after.dropped.NOT_ADMITTED - before.dropped.NOT_ADMITTED).toBe(1);
    expect(after.dropped.BAD_SIGNATURE - before.dropped.BAD_SIGNATURE).toBe(1);
    expect(r!.replica.members()).toHaveLength(1);

    expect(await ask({ v: 1, op: 'summary', from: 'mallory', maxBytes: 16_384, digest: { kind: 'buckets', count: 3, hashes: '' } })).toMatchObject({ ok: false, code: 'MEMBERSHIP_DIGEST_MALFORMED' });
    expect(await ask({ v: 1, op: 'gossip', from: 'mallory' })).toMatchObject({ ok: false, code: 'MEMBERSHIP_MESSAGE_MALFORMED' });
    const huge = { v: 1, op: 'push', from: 'mallory', maxBytes: 16_384, entries: ['x'.repeat(20_000)], keys };
    expect(await ask(huge)).toMatchObject({ ok: false, code: 'MEMBERSHIP_MESSAGE_OVERSIZED' });
    expect(r!.replica.stats.antiEntropy.refused - before.antiEntropy.refused).toBe(3);
  });
});
