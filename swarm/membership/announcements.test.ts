import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '../../protocol/subjects.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { generateIdentity, type Identity } from '../identity/ed25519.ts';
import { announceReplyV1, type AnnounceReplyV1 } from './announcements.ts';
import { signMemberEntry, type MemberEntry } from './member-entry.ts';
import { startMembershipService, type MembershipService } from './membership-service.ts';

const names = natsNames('announce-test');
let server: TestNatsServer;
let nc: NatsConnection;
let members: MembershipService;

function entry(id: Identity, operator: string): MemberEntry {
  const wallMs = Date.now();
  return signMemberEntry(id, { operator, capabilities: { runtime: 'node', threads: 1, msmBackend: 'wasm', gpu: false, tee: false }, score: 0, version: '0.1.0', hlc: { wallMs, counter: 0 }, expiresAtMs: wallMs + 60_000 });
}

async function announce(subject: string, e: unknown): Promise<AnnounceReplyV1> {
  const m = await nc.request(subject, JSON.stringify(e), { timeout: 5_000 });
  return announceReplyV1.parse(JSON.parse(new TextDecoder().decode(m.data)));
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  members = await startMembershipService({ nc, names });
});

afterAll(async () => {
  await members?.stop();
  await nc?.close();
  await server?.stop();
});

describe('announcements', () => {
  it('take in a worker\'s entry on its own subject under its operator, and answer that the replica holds it', async () => {
    const w = generateIdentity().identity;
    expect(await announce(names.membersAnnounce(w.id, 'bank.a-ops'), entry(w, 'bank.a-ops'))).toMatchObject({ ok: true, replica: members.replica.id });
    expect(members.member(w.id)?.operator).toBe('bank.a-ops');
  });

  it('drop an entry on another worker\'s subject, or under another operator than its subject names (WRONG_SUBJECT)', async () => {
    const [w, other] = [generateIdentity().identity, generateIdentity().identity];
    const before = members.stats().announcements.dropped.WRONG_SUBJECT;
    expect(await announce(names.membersAnnounce(other.id, 'ops'), entry(w, 'ops'))).toMatchObject({ ok: false, reason: expect.stringMatching(/another worker or operator/) });
    expect(await announce(names.membersAnnounce(w.id, 'ops'), entry(w, 'someone-else'))).toMatchObject({ ok: false });
    expect(members.member(w.id)).toBeUndefined();
    expect(members.stats().announcements.dropped.WRONG_SUBJECT).toBe(before + 2);
  });

  it('refuse a forged entry through the replica\'s own checks, and say so', async () => {
    const w = generateIdentity().identity;
    const forged = { ...entry(w, 'ops'), score: 1_000 };
    expect(await announce(names.membersAnnounce(w.id, 'ops'), forged)).toMatchObject({ ok: false, reason: expect.stringMatching(/refused/) });
    expect(members.stats().dropped.BAD_SIGNATURE).toBeGreaterThanOrEqual(1);
  });
});
