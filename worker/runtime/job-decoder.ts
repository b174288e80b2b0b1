import { jobV1, type JobV1 } from '../../protocol/messages/job.ts';

/** A decoded job, or why the bytes are not one. */
export type DecodedJob = { ok: true; job: JobV1 } | { ok: false; reason: string };

/** Parses and validates a job message (JSON, schema jobV1). Never throws. */
export function decodeJob(data: Uint8Array): DecodedJob {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = jobV1.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, reason: `not a valid jobV1: ${issues.join('; ')}` };
  }
  return { ok: true, job: parsed.data };
}
