import type { z } from 'zod';
import { isSignedBy } from '../../swarm/identity/signed-message.ts';
import { WorkRefusal } from './gateway-errors.ts';

/**
 * Parses one gateway request: JSON of `schema` (else MALFORMED), signed by the worker it names over every
 * other field (else BAD_SIGNATURE), signed within `maxSkewMs` of `now` (else STALE_REQUEST).
 */
export function parseSignedRequest<T extends { workerId: string; ts: number }>(
  data: Uint8Array,
  schema: z.ZodType<T>,
  o: { now: number; maxSkewMs: number },
): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new WorkRefusal('MALFORMED', 'the request is not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new WorkRefusal('MALFORMED', `the request is malformed: ${detail}`);
  }
  // Checked over the request as received, so that a field the schema strips cannot ride along unsigned.
  if (!isSignedBy(parsed.data.workerId, raw as Record<string, unknown>)) throw new WorkRefusal('BAD_SIGNATURE', 'the request is not signed by the worker it names');
  if (Math.abs(o.now - parsed.data.ts) > o.maxSkewMs) throw new WorkRefusal('STALE_REQUEST', `the request's time is more than ${o.maxSkewMs} ms from the gateway's clock`);
  return parsed.data;
}
