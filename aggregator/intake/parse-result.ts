import { halfResultV1, type HalfResultV1 } from '../../protocol/messages/half.ts';
import { resultV1, type ResultV1 } from '../../protocol/messages/result.ts';
import { schemaIssues } from '../../protocol/parse-message.ts';
import { DroppedResult } from './intake-errors.ts';

/** At most this many characters of a claimed (unchecked) id go into a log line. */
const CLAIM_CHARS = 100;

/** A string claimed by an unchecked message, cut to a length fit for a log line. */
function claim(v: unknown): string | undefined {
  return typeof v === 'string' ? v.slice(0, CLAIM_CHARS) : undefined;
}

/** A worker's result of either kind: a whole proof, or one half's five MSM points (split proving). */
export type AnyResult = { kind: 'whole'; result: ResultV1 } | { kind: 'half'; result: HalfResultV1 };

/**
 * Parses one raw result: a half result when it says `kind: 'half'`, a whole result otherwise. Throws
 * `DroppedResult('MALFORMED')` (with the first schema issues) when it is neither.
 */
export function parseResult(data: Uint8Array): AnyResult {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new DroppedResult('MALFORMED', 'not JSON');
  }
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const claimed = { jobId: claim(r.jobId), workerId: claim(r.workerId) };
  if (r.kind === 'half') {
    const p = halfResultV1.safeParse(raw);
    if (p.success) return { kind: 'half', result: p.data };
    throw new DroppedResult('MALFORMED', schemaIssues(p.error), claimed);
  }
  const p = resultV1.safeParse(raw);
  if (p.success) return { kind: 'whole', result: p.data };
  throw new DroppedResult('MALFORMED', schemaIssues(p.error), claimed);
}
