import type { KV } from '@nats-io/kv';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { memberEntryV1 } from '../../protocol/messages/member.ts';
import { verifySignature } from '../../swarm/identity/ed25519.ts';

/** Why a worker is not a live member, or null when it is. */
export async function membershipProblem(members: KV, workerId: string, now = Date.now()): Promise<string | null> {
  const e = await members.get(workerId).catch(() => null);
  if (!e || e.operation !== 'PUT' || e.length === 0) return 'no membership entry';
  let parsed;
  try {
    parsed = memberEntryV1.safeParse(e.json());
  } catch {
    return 'membership entry is not JSON';
  }
  if (!parsed.success) return 'membership entry is malformed';
  const { signature, ...unsigned } = parsed.data;
  if (parsed.data.workerId !== workerId) return 'membership entry names another worker';
  if (!verifySignature(workerId, canonicalBytes(unsigned), signature)) return 'membership entry is not signed by the worker';
  if (parsed.data.ts + parsed.data.ttlMs < now) return 'membership entry expired';
  return null;
}
