import { schemaIssues } from '../../protocol/parse-message.ts';
import { halfJobV1, type HalfJobV1 } from '../../protocol/messages/half.ts';
import { jobV1, type JobV1 } from '../../protocol/messages/job.ts';

/**
 * A decoded job: a whole job (the transfer's inputs, proved here) or a half job (one half of a split
 * proof's MSMs, whose scalars come sealed with the grant); or why the bytes are neither.
 */
export type DecodedJob = { ok: true; kind: 'whole'; job: JobV1 } | { ok: true; kind: 'half'; job: HalfJobV1 } | { ok: false; reason: string };

const issues = (error: Parameters<typeof schemaIssues>[0]) => schemaIssues(error, 5);

/**
 * Parses and validates a job message: JSON, then halfJobV1 when it says `kind: "half"`, jobV1 otherwise.
 * Never throws.
 */
export function decodeJob(data: Uint8Array): DecodedJob {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (raw !== null && typeof raw === 'object' && 'kind' in raw) {
    if ((raw as { kind: unknown }).kind !== 'half') return { ok: false, reason: `unknown job kind ${JSON.stringify((raw as { kind: unknown }).kind)?.slice(0, 40)}` };
    const half = halfJobV1.safeParse(raw);
    if (!half.success) return { ok: false, reason: `not a valid halfJobV1: ${issues(half.error)}` };
    return { ok: true, kind: 'half', job: half.data };
  }
  const parsed = jobV1.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `not a valid jobV1: ${issues(parsed.error)}` };
  return { ok: true, kind: 'whole', job: parsed.data };
}
