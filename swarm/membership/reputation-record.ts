import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { hex } from '../../protocol/messages/fields.ts';
import type { Identity } from '../identity/ed25519.ts';
import { hlcTime, type Hlc } from './hlc.ts';
import type { EntryVersion } from './member-entry.ts';

/**
 * Reputation records (v1): what one observer (an aggregator, by its Ed25519 key) saw of one worker,
 * as decayed counts. Each observer keeps one record per worker and re-signs it with a newer HLC at
 * every observation, so the records live in the membership map beside the member entries (last writer
 * wins per (observer, subject)) and the state stays bounded at observers x workers.
 */

/** How long after its HLC a record may sign itself alive: by then its counts have decayed 2^-48. */
export const REPUTATION_MAX_LIFE_MS = 24 * 60 * 60 * 1000;
/** The greatest count or latency a record may carry. */
export const MAX_REPUTATION_VALUE = 1e9;

const count = z.number().nonnegative().max(MAX_REPUTATION_VALUE);

/** Decayed counts of what an observer saw of a worker, as of the record's `hlc.wallMs`. */
export const reputationTally = z
  .object({
    /** Results that verified. */
    valid: count,
    /** Results that did not verify (or whose public signals were not the planned ones). */
    invalid: count,
    /** Halves that came after their deadline. */
    late: count,
    /** Deliveries never answered. */
    timeouts: count,
    /** An exponentially weighted mean of valid results' latency, ms (0 when none). */
    latencyMs: count,
  })
  .strict();
export type ReputationTally = z.infer<typeof reputationTally>;

/**
 * An observer's signed reputation record of a worker (v1). `hlc` is the observer's clock (its node is
 * `observer`); `signature` is the observer's Ed25519 signature over the canonical bytes of every other field.
 */
export const reputationRecordV1 = z
  .object({
    v: z.literal(1),
    kind: z.literal('reputation'),
    /** The observing aggregator's Ed25519 public key (hex). */
    observer: hex(32),
    /** The worker observed: its id. */
    subject: hex(32),
    hlc: z.object(hlcTime).strict(),
    tally: reputationTally,
    /** Epoch ms after which the record no longer counts. */
    expiresAtMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    signature: hex(64),
  })
  .strict()
  .refine((r) => r.expiresAtMs > r.hlc.wallMs && r.expiresAtMs - r.hlc.wallMs <= REPUTATION_MAX_LIFE_MS, {
    message: `expiresAtMs must be after hlc.wallMs, by at most ${REPUTATION_MAX_LIFE_MS} ms`,
    path: ['expiresAtMs'],
  });
export type ReputationRecord = z.infer<typeof reputationRecordV1>;
export type UnsignedReputationRecord = Omit<ReputationRecord, 'signature'>;

const KEY_DOMAIN = Buffer.from('drex.reputation.v1', 'utf8');

/**
 * The record's key in the membership map: hex of SHA-256("drex.reputation.v1" || observer || subject)
 * (raw key bytes), 32 bytes like a worker id, so that digests and buckets treat both kinds alike.
 */
export function reputationKey(observer: string, subject: string): string {
  return createHash('sha256').update(KEY_DOMAIN).update(Buffer.from(observer, 'hex')).update(Buffer.from(subject, 'hex')).digest('hex');
}

/** The record's full hybrid logical clock (its node is the observer). */
export function reputationHlc(record: Pick<ReputationRecord, 'observer' | 'hlc'>): Hlc {
  return { wallMs: record.hlc.wallMs, counter: record.hlc.counter, node: record.observer };
}

/** What orders two records of one (observer, subject): the HLC, then the signature. */
export function reputationVersion(record: ReputationRecord): EntryVersion {
  return { hlc: reputationHlc(record), signature: record.signature };
}

/**
 * `identity`'s signed record (the observer is the identity's id); the schema checks the rest (throws a
 * ZodError on a field out of bounds, which is a bug of the caller).
 */
export function signReputationRecord(identity: Identity, fields: Omit<UnsignedReputationRecord, 'v' | 'kind' | 'observer'>): ReputationRecord {
  const unsigned: UnsignedReputationRecord = { v: 1, kind: 'reputation', observer: identity.id, ...fields };
  return reputationRecordV1.parse({ ...unsigned, signature: identity.sign(canonicalBytes(unsigned)) });
}
