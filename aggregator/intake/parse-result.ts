import { resultV1, type ResultV1 } from '../../protocol/messages/result.ts';
import { DroppedResult } from './intake-errors.ts';

/** At most this many characters of a claimed (unchecked) id go into a log line. */
const CLAIM_CHARS = 100;

/** A string claimed by an unchecked message, cut to a length fit for a log line. */
function claim(v: unknown): string | undefined {
  return typeof v === 'string' ? v.slice(0, CLAIM_CHARS) : undefined;
}

/** Parses one raw result; throws `DroppedResult('MALFORMED')` (with the first schema issues) when it is not a v1 result. */
export function parseResult(data: Uint8Array): ResultV1 {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new DroppedResult('MALFORMED', 'not JSON');
  }
  const parsed = resultV1.safeParse(raw);
  if (parsed.success) return parsed.data;
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const detail = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.')}: ${i.message}`)
    .join('; ');
  throw new DroppedResult('MALFORMED', detail, { jobId: claim(r.jobId), workerId: claim(r.workerId) });
}
