import { resultV1, type ResultV1 } from '../../protocol/messages/result.ts';
import { DroppedResult } from './intake-errors.ts';
import { parseJsonMessage } from '../../protocol/parse-message.ts';

/** At most this many characters of a claimed (unchecked) id go into a log line. */
const CLAIM_CHARS = 100;

/** A string claimed by an unchecked message, cut to a length fit for a log line. */
function claim(v: unknown): string | undefined {
  return typeof v === 'string' ? v.slice(0, CLAIM_CHARS) : undefined;
}

/** Parses one raw result; throws `DroppedResult('MALFORMED')` (with the first schema issues) when it is not a v1 result. */
export function parseResult(data: Uint8Array): ResultV1 {
  const parsed = parseJsonMessage(data, resultV1);
  if (parsed.ok) return parsed.data;
  const r = (typeof parsed.raw === 'object' && parsed.raw !== null ? parsed.raw : {}) as Record<string, unknown>;
  throw new DroppedResult('MALFORMED', parsed.reason, { jobId: claim(r.jobId), workerId: claim(r.workerId) });
}
