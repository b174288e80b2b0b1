import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsNames } from '../../../protocol/subjects.ts';
import type { Identity } from '../../identity/ed25519.ts';
import { announceReplyV1 } from '../announcements.ts';
import { signMemberEntry, type CapabilitiesV2, type MemberEntry } from '../member-entry.ts';

let counter = 0;

/**
 * Announces `identity` as a worker (as its heartbeat does, on its own announcement subject) and waits
 * for a replica to say it holds the entry; throws when none answers or it is refused.
 */
export async function announceMember(
  nc: NatsConnection,
  names: NatsNames,
  identity: Identity,
  o: { capabilities?: Partial<CapabilitiesV2>; operator?: string; score?: number; ttlMs?: number } = {},
): Promise<MemberEntry> {
  const wallMs = Date.now();
  const operator = o.operator ?? identity.id;
  const entry = signMemberEntry(identity, {
    operator,
    capabilities: { runtime: 'node', threads: 1, msmBackend: 'wasm', gpu: false, tee: false, ...o.capabilities },
    score: o.score ?? 0,
    version: '0.1.0',
    hlc: { wallMs, counter: counter++ },
    expiresAtMs: wallMs + (o.ttlMs ?? 600_000),
  });
  const reply = announceReplyV1.parse(JSON.parse(new TextDecoder().decode((await nc.request(names.membersAnnounce(identity.id, operator), JSON.stringify(entry), { timeout: 5_000 })).data)));
  if (!reply.ok) throw new Error(`announcement refused: ${reply.reason}`);
  return entry;
}
