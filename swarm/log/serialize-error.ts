/** How many causes deep an error is written; deeper ones are cut with a marker. */
export const MAX_CAUSE_DEPTH = 5;

/** An Error as a log line carries it: what a person needs to find where it came from and why. */
export interface SerializedError {
  name: string;
  message: string;
  code?: unknown;
  stack?: string;
  cause?: unknown;
  /** The inner errors of an AggregateError (e.g. every address a connection tried). */
  errors?: unknown[];
}

/**
 * Turns `err` into plain JSON data: name, message, code, stack and its cause chain (recursively, at most
 * `MAX_CAUSE_DEPTH` levels; an error that is its own ancestor is written as `[circular]`). Never throws.
 */
export function serializeError(err: Error, depth = 0, chain: ReadonlySet<unknown> = new Set()): SerializedError {
  const seen = new Set(chain).add(err);
  const out: SerializedError = { name: safe(() => String(err.name)) ?? 'Error', message: safe(() => String(err.message)) ?? '' };
  const code = safe(() => (err as { code?: unknown }).code);
  if (code !== undefined) out.code = typeof code === 'bigint' ? code.toString() : code;
  const stack = safe(() => err.stack);
  if (typeof stack === 'string') out.stack = stack;
  const cause = safe(() => (err as { cause?: unknown }).cause);
  if (cause !== undefined) out.cause = inner(cause, depth, seen);
  const errors = safe(() => (err as { errors?: unknown }).errors);
  if (Array.isArray(errors)) out.errors = errors.slice(0, 10).map((e) => inner(e, depth, seen));
  return out;
}

/** A nested cause: an Error recursively, a bigint as text, anything else as is (JSON.stringify's care). */
function inner(v: unknown, depth: number, seen: ReadonlySet<unknown>): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (!(v instanceof Error)) return v;
  if (seen.has(v)) return '[circular]';
  if (depth + 1 >= MAX_CAUSE_DEPTH) return `[cause deeper than ${MAX_CAUSE_DEPTH}: ${safe(() => String(v.message))}]`;
  return serializeError(v, depth + 1, seen);
}

/** The value of a getter that may throw (a hostile or broken error object), or undefined. */
function safe<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
