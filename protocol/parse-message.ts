import type { z } from 'zod';

/** A message parsed against its schema, with the raw JSON kept (for signature checks and log lines). */
export type ParsedMessage<T> = { ok: true; raw: unknown; data: T } | { ok: false; raw: unknown; reason: string };

/** The first schema issues of a refused message, for a reply or a log line. */
export function schemaIssues(error: z.ZodError, max = 3): string {
  return error.issues
    .slice(0, max)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Parses the JSON bytes of a message against `schema`; never throws. */
export function parseJsonMessage<T>(data: Uint8Array, schema: z.ZodType<T>): ParsedMessage<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return { ok: false, raw: undefined, reason: 'not JSON' };
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, raw, data: parsed.data } : { ok: false, raw, reason: schemaIssues(parsed.error) };
}
