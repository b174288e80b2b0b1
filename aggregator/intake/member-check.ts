import type { KV } from '@nats-io/kv';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { memberEntryV1, type MemberEntryV1 } from '../../protocol/messages/member.ts';
import { verifySignature } from '../../swarm/identity/ed25519.ts';

/** Why a worker is not a live member, or null when it is. */
export async function membershipProblem(members: KV, workerId: string, now = Date.now()): Promise<string | null> {
  const m = await liveMember(members, workerId, now);
  return 'problem' in m ? m.problem : null;
}

/** A live member's signed entry, or why the worker is not one. */
export async function liveMember(members: KV, workerId: string, now = Date.now()): Promise<{ entry: MemberEntryV1 } | { problem: string }> {
  const problem = (p: string) => ({ problem: p });
  const e = await members.get(workerId).catch(() => null);
  if (!e || e.operation !== 'PUT' || e.length === 0) return problem('no membership entry');
  let parsed;
  try {
    parsed = memberEntryV1.safeParse(e.json());
  } catch {
    return problem('membership entry is not JSON');
  }
  if (!parsed.success) return problem('membership entry is malformed');
  const { signature, ...unsigned } = parsed.data;
  if (parsed.data.workerId !== workerId) return problem('membership entry names another worker');
  if (!verifySignature(workerId, canonicalBytes(unsigned), signature)) return problem('membership entry is not signed by the worker');
  if (parsed.data.ts + parsed.data.ttlMs < now) return problem('membership entry expired');
  return { entry: parsed.data };
}
