import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DrexError } from '../../protocol/errors.ts';
import { hex } from '../../protocol/messages/fields.ts';
import { schemaIssues } from '../../protocol/parse-message.ts';
import { compareHlc, hlcTime } from './hlc.ts';
import type { EntryVersion } from './member-entry.ts';

/**
 * Anti-entropy digests of a membership replica. Keys (worker ids, and the reputation records' keys,
 * both 32 bytes of hex; "worker id" below stands for either) fall into `count` buckets (a power of two,
 * by their first 4 bytes); a bucket's hash is the first 8 bytes of SHA-256 over its sorted
 * (worker id, signature) pairs, so two replicas that hold the same entries have the same hashes.
 * A `buckets` digest is the hashes alone (16 hex digits per bucket, about 16 members per bucket);
 * a `keys` digest lists, for some buckets, each held worker id with its entry's HLC and the first
 * 8 bytes of its signature, which is what a replica needs to send exactly the entries the other lacks.
 */

export const MAX_DIGEST_BUCKETS = 4096;
/** About how many members share a bucket in a replica's own digest. */
export const MEMBERS_PER_BUCKET = 16;
/** The most worker ids one `keys` digest may list. */
export const MAX_DIGEST_KEYS = 65_536;
const HASH_HEX = 16;
export const SIGNATURE_PREFIX_HEX = 16;

const bucketCount = z
  .number()
  .int()
  .min(1)
  .max(MAX_DIGEST_BUCKETS)
  .refine((n) => (n & (n - 1)) === 0, 'must be a power of two');

export const bucketDigest = z
  .object({
    kind: z.literal('buckets'),
    count: bucketCount,
    /** The buckets' hashes, concatenated in bucket order. */
    hashes: z.string().regex(/^[0-9a-f]*$/, 'must be lowercase hex'),
  })
  .strict()
  .refine((d) => d.hashes.length === d.count * HASH_HEX, { message: `hashes must be ${HASH_HEX} hex digits per bucket`, path: ['hashes'] });
export type BucketDigest = z.infer<typeof bucketDigest>;

/** One held worker: id, HLC wall time, HLC counter, signature prefix. */
const keyVersion = z.tuple([hex(32), hlcTime.wallMs, hlcTime.counter, hex(SIGNATURE_PREFIX_HEX / 2)]);
export type KeyVersion = z.infer<typeof keyVersion>;

export const keyDigest = z
  .object({
    kind: z.literal('keys'),
    count: bucketCount,
    /** The buckets this digest covers (every worker the sender holds in them is listed). */
    buckets: z.array(z.number().int().min(0)).max(MAX_DIGEST_BUCKETS),
    versions: z.array(keyVersion).max(MAX_DIGEST_KEYS),
  })
  .strict()
  .refine((d) => d.buckets.every((b) => b < d.count), { message: 'a bucket is not below count', path: ['buckets'] });
export type KeyDigest = z.infer<typeof keyDigest>;

export const membershipDigest = z.union([bucketDigest, keyDigest]);
export type MembershipDigest = z.infer<typeof membershipDigest>;

/** A received digest that does not match its schema. */
export class MembershipDigestError extends DrexError {
  override name = 'MembershipDigestError';
  readonly code = 'MEMBERSHIP_DIGEST_MALFORMED';
}

/** `raw` as a digest, or MembershipDigestError naming what is wrong with it. */
export function parseDigest(raw: unknown): MembershipDigest {
  const parsed = membershipDigest.safeParse(raw);
  if (!parsed.success) throw new MembershipDigestError(`malformed membership digest: ${schemaIssues(parsed.error)}`);
  return parsed.data;
}

/** The bucket count of a replica holding `members` workers: a power of two, about MEMBERS_PER_BUCKET per bucket. */
export function bucketCountFor(members: number): number {
  let count = 1;
  while (count * MEMBERS_PER_BUCKET < members && count < MAX_DIGEST_BUCKETS) count *= 2;
  return count;
}

/** The bucket of a worker id among `count` (a power of two). */
export function bucketOf(workerId: string, count: number): number {
  return Number.parseInt(workerId.slice(0, 8), 16) & (count - 1);
}

/** Worker ids grouped by bucket, each group sorted. */
function groupByBucket(versions: ReadonlyMap<string, EntryVersion>, count: number): string[][] {
  const groups: string[][] = Array.from({ length: count }, () => []);
  for (const id of versions.keys()) groups[bucketOf(id, count)]!.push(id);
  for (const g of groups) g.sort();
  return groups;
}

/** The `buckets` digest of the versions a replica holds. */
export function summarize(versions: ReadonlyMap<string, EntryVersion>, count = bucketCountFor(versions.size)): BucketDigest {
  const hashes = groupByBucket(versions, count).map((ids) => {
    const h = createHash('sha256');
    for (const id of ids) h.update(`${id}:${versions.get(id)!.signature};`);
    return h.digest('hex').slice(0, HASH_HEX);
  });
  return { kind: 'buckets', count, hashes: hashes.join('') };
}

/** The buckets whose hash differs between the local versions and `remote`. */
export function differingBuckets(versions: ReadonlyMap<string, EntryVersion>, remote: BucketDigest): number[] {
  const local = summarize(versions, remote.count).hashes;
  const out: number[] = [];
  for (let b = 0; b < remote.count; b += 1) {
    const at = b * HASH_HEX;
    if (local.slice(at, at + HASH_HEX) !== remote.hashes.slice(at, at + HASH_HEX)) out.push(b);
  }
  return out;
}

/** The `keys` digest of the local versions in `buckets` (of `count`). */
export function listKeys(versions: ReadonlyMap<string, EntryVersion>, count: number, buckets: readonly number[]): KeyDigest {
  const wanted = new Set(buckets);
  const listed: KeyVersion[] = [];
  for (const [id, v] of versions) {
    if (wanted.has(bucketOf(id, count))) listed.push([id, v.hlc.wallMs, v.hlc.counter, v.signature.slice(0, SIGNATURE_PREFIX_HEX)]);
  }
  listed.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { kind: 'keys', count, buckets: [...wanted].sort((a, b) => a - b), versions: listed };
}

/**
 * True when the local `version` under key `id` is newer than what `remote` lists for it (or it lists
 * nothing). One key has one signer, so the listed clock's node is the local version's.
 */
export function isNewerThanListed(id: string, version: EntryVersion, remote: ReadonlyMap<string, KeyVersion>): boolean {
  const listed = remote.get(id);
  if (!listed) return true;
  const byClock = compareHlc(version.hlc, { wallMs: listed[1], counter: listed[2], node: version.hlc.node });
  if (byClock !== 0) return byClock > 0;
  return version.signature.slice(0, SIGNATURE_PREFIX_HEX) > listed[3];
}
