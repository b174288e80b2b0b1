import { z } from 'zod';
import { DrexError } from '../../protocol/errors.ts';
import { schemaIssues } from '../../protocol/parse-message.ts';
import { bucketOf, type KeyDigest } from './digest.ts';

/**
 * The messages of membership gossip (schema v1), as JSON:
 * - delta, broadcast on `members.v1.delta`: `{v:1, from, entries:[signed entry, ...]}`; an empty one is a
 *   replica's hello (it tells the others where to ask for anti-entropy);
 * - anti-entropy requests on `members.v1.sync.<replica>`: `{v:1, op:'summary', from, maxBytes, digest}` and
 *   `{v:1, op:'push', from, maxBytes, entries, keys}`, and their replies (see sync-protocol.ts), each at
 *   most the asker's `maxBytes`.
 * Every message is at most the replica's byte bound; entries are checked one by one by the MemberMap.
 */

/** A replica id: a NATS subject token. */
export const replicaId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of [A-Za-z0-9_-]');

/** The most entries one message may carry (each entry is at most MAX_ENTRY_BYTES besides). */
export const MAX_ENTRIES_PER_MESSAGE = 4096;
/** Default bound of one gossip or anti-entropy message, in bytes (lowered to the server's max_payload). */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;
/** The smallest bound a replica accepts: one entry of MAX_ENTRY_BYTES with its envelope. */
export const MIN_MAX_MESSAGE_BYTES = 4096;

const entries = z.array(z.unknown()).max(MAX_ENTRIES_PER_MESSAGE);

export const deltaMessageV1 = z.object({ v: z.literal(1), from: replicaId, entries }).strict();
export type DeltaMessageV1 = z.infer<typeof deltaMessageV1>;

/** The largest reply the asker takes (replies are cut to it). */
const maxBytes = z.number().int().min(MIN_MAX_MESSAGE_BYTES).max(64 * 1024 * 1024);

export const syncRequestV1 = z.discriminatedUnion('op', [
  z.object({ v: z.literal(1), op: z.literal('summary'), from: replicaId, maxBytes, digest: z.unknown() }).strict(),
  z.object({ v: z.literal(1), op: z.literal('push'), from: replicaId, maxBytes, entries, keys: z.unknown() }).strict(),
]);
export type SyncRequestV1 = z.infer<typeof syncRequestV1>;

/**
 * Replies: to a summary, the responder's bound (`maxBytes`: the push must fit it) and its versions in the buckets that differ (`keys`, `truncated` when
 * it covers only some of them to fit the bound), or `count`, the
 * finer bucket count to summarize at again (the responder holds too many members for the asker's count);
 * to a push, the entries the asker lacks (`truncated` when more did not fit); or a refusal with a code.
 */
export const syncReplyV1 = z.union([
  z.object({ v: z.literal(1), ok: z.literal(true), op: z.literal('summary'), maxBytes, keys: z.unknown().optional(), truncated: z.boolean().optional(), count: z.number().int().optional() }).strict(),
  z.object({ v: z.literal(1), ok: z.literal(true), op: z.literal('push'), entries, truncated: z.boolean() }).strict(),
  z.object({ v: z.literal(1), ok: z.literal(false), code: z.string().max(64), message: z.string().max(1024) }).strict(),
]);
export type SyncReplyV1 = z.infer<typeof syncReplyV1>;

/** A received gossip message that is not one (bad JSON, wrong shape). */
export class MembershipMessageError extends DrexError {
  override name = 'MembershipMessageError';
  readonly code = 'MEMBERSHIP_MESSAGE_MALFORMED';
}

/** A received gossip message larger than the replica's bound. */
export class MembershipMessageOversizedError extends DrexError {
  override name = 'MembershipMessageOversizedError';
  readonly code = 'MEMBERSHIP_MESSAGE_OVERSIZED';
}

/** The peer refused an anti-entropy request, or answered it with something else. */
export class MembershipSyncError extends DrexError {
  override name = 'MembershipSyncError';
  readonly code = 'MEMBERSHIP_SYNC_FAILED';
  override readonly retryable = true;
}

/** `data` (UTF-8 JSON, at most `maxBytes`) as a `schema` message; throws the named errors above. */
export function decodeMessage<T>(data: Uint8Array, schema: z.ZodType<T>, maxBytes: number): T {
  if (data.byteLength > maxBytes) throw new MembershipMessageOversizedError(`a membership message of ${data.byteLength} bytes, more than the ${maxBytes} allowed`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw new MembershipMessageError('a membership message that is not JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new MembershipMessageError(`malformed membership message: ${schemaIssues(parsed.error)}`);
  return parsed.data;
}

/** A message as UTF-8 JSON. */
export function encodeMessage(message: DeltaMessageV1 | SyncRequestV1 | SyncReplyV1): Uint8Array {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/**
 * `entries` split into delta messages of at most `maxBytes` each (in order; one entry per message at
 * least, which MIN_MAX_MESSAGE_BYTES always fits).
 */
export function deltaMessages(from: string, list: readonly unknown[], maxBytes: number): Uint8Array[] {
  const head = `{"v":1,"from":${JSON.stringify(from)},"entries":[`;
  const out: Uint8Array[] = [];
  let parts: string[] = [];
  let size = Buffer.byteLength(head) + 2;
  for (const e of list) {
    const text = JSON.stringify(e);
    const bytes = Buffer.byteLength(text) + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && (size + bytes > maxBytes || parts.length === MAX_ENTRIES_PER_MESSAGE)) {
      out.push(Buffer.from(`${head}${parts.join(',')}]}`));
      parts = [];
      size = Buffer.byteLength(head) + 2;
    }
    size += Buffer.byteLength(text) + (parts.length > 0 ? 1 : 0);
    parts.push(text);
  }
  if (parts.length > 0) out.push(Buffer.from(`${head}${parts.join(',')}]}`));
  return out;
}

/** The longest prefix of `list` whose JSON takes at most `budget` bytes (and MAX_ENTRIES_PER_MESSAGE entries). */
export function fitEntries<T>(list: readonly T[], budget: number): { taken: T[]; truncated: boolean } {
  let size = 2;
  let n = 0;
  for (; n < list.length && n < MAX_ENTRIES_PER_MESSAGE; n += 1) {
    size += Buffer.byteLength(JSON.stringify(list[n])) + (n > 0 ? 1 : 0);
    if (size > budget) break;
  }
  return { taken: list.slice(0, n), truncated: n < list.length };
}

/**
 * `keys` narrowed to its first buckets whose listed versions take at most `budget` bytes (always one
 * bucket at least): still a valid keys digest, since it lists every held worker of the buckets it covers.
 */
export function fitKeys(keys: KeyDigest, budget: number): { keys: KeyDigest; truncated: boolean } {
  if (Buffer.byteLength(JSON.stringify(keys)) <= budget) return { keys, truncated: false };
  const byBucket = new Map<number, KeyDigest['versions']>(keys.buckets.map((b) => [b, []]));
  const count = keys.count;
  for (const v of keys.versions) byBucket.get(bucketOf(v[0], count))?.push(v);
  const buckets: number[] = [];
  const versions: KeyDigest['versions'] = [];
  let size = Buffer.byteLength(JSON.stringify({ kind: 'keys', count, buckets: [], versions: [] }));
  for (const b of keys.buckets) {
    const listed = byBucket.get(b)!;
    const more = listed.reduce((s, v) => s + Buffer.byteLength(JSON.stringify(v)) + 1, String(b).length + 1);
    if (buckets.length > 0 && size + more > budget) break;
    buckets.push(b);
    versions.push(...listed);
    size += more;
  }
  return { keys: { kind: 'keys', count, buckets, versions: versions.sort((a, b) => (a[0] < b[0] ? -1 : 1)) }, truncated: buckets.length < keys.buckets.length };
}
