import { z } from 'zod';
import { BATCH_STATES, type BatchStateName } from '../store/batch-states.ts';
import { indexMember, parseIndexMember } from '../store/batch-index.ts';
import { BadParameterError, BadQueryError } from './api-errors.ts';

/** Listing page sizes: default and largest. */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** An opaque listing cursor: the base64url of the index member to continue after. */
export function encodeCursor(member: string): string {
  return Buffer.from(member, 'utf8').toString('base64url');
}

/** The index member a cursor names; throws when it is not one this API handed out. */
function decodeCursor(cursor: string): string {
  const member = Buffer.from(cursor, 'base64url').toString('utf8');
  const parsed = parseIndexMember(member);
  if (!parsed || encodeCursor(member) !== cursor || indexMember(parsed.createdMs, parsed.id) !== member) throw new Error('not a cursor this API handed out');
  return member;
}

const one = z.string();

/** The query of `GET /api/v1/batches` (and the portal's batch list). */
const batchListQuery = z
  .object({
    state: one
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(BATCH_STATES, { message: `must be one of ${BATCH_STATES.join(', ')}` }))
      .optional(),
    bank: one.regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a bank id: 1-64 of a-z, 0-9, . _ - (starting with a letter or digit)').optional(),
    limit: one
      .regex(/^\d{1,6}$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1, `must be at least 1`).max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`))
      .optional(),
    cursor: one
      .regex(/^[A-Za-z0-9_-]{1,400}$/, 'must be a cursor from a previous page (base64url)')
      .transform((s, ctx) => {
        try {
          return decodeCursor(s);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a cursor from a previous page' });
          return z.NEVER;
        }
      })
      .optional(),
  })
  .strict();

export interface BatchListParams {
  state?: BatchStateName;
  bankId?: string;
  limit: number;
  /** The index member to continue after. */
  after?: string;
}

/**
 * Parses a query string's parameters (each at most once; unknown ones refused) with `schema`; the first
 * problem is thrown as a `BadQueryError` naming the parameter and why.
 */
function parseQuery<T>(schema: z.ZodType<T>, url: string): T {
  const params = new URL(url).searchParams;
  const seen = new Set<string>();
  const raw: Record<string, string> = {};
  for (const [k, v] of params) {
    if (seen.has(k)) throw new BadQueryError(k, 'given more than once');
    seen.add(k);
    raw[k] = v;
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw new BadQueryError(issue.keys[0]!, 'unknown parameter');
  throw new BadQueryError(String(issue.path[0] ?? 'query'), issue.message);
}

/** The batch listing's parameters from a request URL; throws `BadQueryError`. */
export function batchListParams(url: string): BatchListParams {
  const q = parseQuery(batchListQuery, url);
  return { limit: q.limit ?? DEFAULT_LIMIT, ...(q.state ? { state: q.state } : {}), ...(q.bank ? { bankId: q.bank } : {}), ...(q.cursor ? { after: q.cursor } : {}) };
}

/** Refuses any query parameter (routes that take none). */
export function noQuery(url: string): void {
  parseQuery(z.object({}).strict(), url);
}

/** A batch id path parameter: 0x and 64 hex digits (answered in lowercase); throws `BadParameterError`. */
export function batchIdParam(id: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new BadParameterError('id', 'must be a batch id: 0x and 64 hex digits');
  return id.toLowerCase();
}
