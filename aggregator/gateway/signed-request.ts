import type { z } from 'zod';
import { isSignedBy } from '../../swarm/identity/signed-message.ts';
import { WorkRefusal } from './gateway-errors.ts';
import { parseJsonMessage } from '../../protocol/parse-message.ts';

/**
 * Parses one gateway request: JSON of `schema` (else MALFORMED), signed by the worker it names over every
 * other field (else BAD_SIGNATURE), signed within `maxSkewMs` of `now` (else STALE_REQUEST).
 */
export function parseSignedRequest<T extends { workerId: string; ts: number }>(
  data: Uint8Array,
  schema: z.ZodType<T>,
  o: { now: number; maxSkewMs: number },
): T {
  const parsed = parseJsonMessage(data, schema);
  if (!parsed.ok) throw new WorkRefusal('MALFORMED', `the request is malformed: ${parsed.reason}`);
  const raw = parsed.raw;
  // Checked over the request as received, so that a field the schema strips cannot ride along unsigned.
  if (!isSignedBy(parsed.data.workerId, raw as Record<string, unknown>)) throw new WorkRefusal('BAD_SIGNATURE', 'the request is not signed by the worker it names');
  if (Math.abs(o.now - parsed.data.ts) > o.maxSkewMs) throw new WorkRefusal('STALE_REQUEST', `the request's time is more than ${o.maxSkewMs} ms from the gateway's clock`);
  return parsed.data;
}
