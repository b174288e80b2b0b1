import { canonicalBytes } from '../../protocol/canonical.ts';
import { schemaIssues } from '../../protocol/parse-message.ts';
import { isSignedBy } from '../identity/signed-message.ts';
import { isBeyondSkew } from './hlc.ts';
import { compareVersions, MAX_ENTRY_BYTES, memberEntryV2, type EntryVersion } from './member-entry.ts';
import { isReputationRecord, recordKey, recordVersion, type MembershipRecord } from './membership-record.ts';
import { reputationRecordV1 } from './reputation-record.ts';

/** Why a received membership entry (or reputation record) was dropped. */
export const REJECTION_REASONS = ['OVERSIZED', 'MALFORMED', 'NOT_ADMITTED', 'FUTURE', 'EXPIRED', 'REPLAYED', 'BAD_SIGNATURE'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A kept entry or record, or why it was dropped (`duplicate`: a REPLAYED one that is the very one held, as gossip delivers). */
export type EntryCheck = { ok: true; entry: MembershipRecord } | { ok: false; reason: RejectionReason; detail: string; duplicate?: boolean };

export interface EntryCheckContext {
  /** The replica's wall clock, epoch ms. */
  nowMs: number;
  /** How far (ms) an entry's clock may read ahead of nowMs. */
  maxSkewMs: number;
  /** Whether the operator policy admits this worker id (must not throw). */
  isAdmitted: (workerId: string) => boolean;
  /** Whether this key is a trusted observer's, whose reputation records count (must not throw; default: none is). */
  isObserver?: (observer: string) => boolean;
  /** The version the replica holds under this key (a worker id, or a reputation key; a live record or a tombstone), if any. */
  held?: (key: string) => EntryVersion | undefined;
}

const reject = (reason: RejectionReason, detail: string): EntryCheck => ({ ok: false, reason, detail });

/** The received value as a JSON object with its size in bytes, or why it is not one. */
function decode(received: unknown): { raw: unknown; bytes: number } | EntryCheck {
  if (received instanceof Uint8Array || typeof received === 'string') {
    const bytes = typeof received === 'string' ? Buffer.byteLength(received, 'utf8') : received.byteLength;
    if (bytes > MAX_ENTRY_BYTES) return reject('OVERSIZED', `${bytes} bytes, more than ${MAX_ENTRY_BYTES}`);
    try {
      return { raw: JSON.parse(typeof received === 'string' ? received : Buffer.from(received).toString('utf8')), bytes };
    } catch {
      return reject('MALFORMED', 'not JSON');
    }
  }
  try {
    return { raw: received, bytes: canonicalBytes(received).byteLength };
  } catch (err) {
    return reject('MALFORMED', `not JSON-compatible: ${(err as Error).message}`);
  }
}

function isUnsigned(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && (raw as Record<string, unknown>).signature === undefined;
}

function isReputationShaped(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>).kind === 'reputation';
}

/** The parsed record with who signs it, or why it is malformed or not let in. */
function parse(raw: unknown, ctx: EntryCheckContext): { record: MembershipRecord; signer: string } | EntryCheck {
  if (isReputationShaped(raw)) {
    const parsed = reputationRecordV1.safeParse(raw);
    if (!parsed.success) return reject('MALFORMED', schemaIssues(parsed.error));
    const { observer } = parsed.data;
    if (!(ctx.isObserver?.(observer) ?? false)) return reject('NOT_ADMITTED', `observer ${observer} is not a trusted observer`);
    return { record: parsed.data, signer: observer };
  }
  const parsed = memberEntryV2.safeParse(raw);
  if (!parsed.success) return reject('MALFORMED', schemaIssues(parsed.error));
  if (!ctx.isAdmitted(parsed.data.workerId)) return reject('NOT_ADMITTED', `worker ${parsed.data.workerId} is not admitted`);
  return { record: parsed.data, signer: parsed.data.workerId };
}

/**
 * Checks a received entry (JSON bytes or text, or an object as parsed from them) for a replica: a
 * worker's member entry, or (`kind: 'reputation'`) an observer's reputation record, which only a
 * trusted observer (ctx.isObserver) may sign. The cheap checks first and the signature last, so that
 * duplicates and stale copies, the bulk of gossip, cost no signature verification. Never throws
 * (unless `isAdmitted` or `isObserver` does).
 */
export function checkEntry(received: unknown, ctx: EntryCheckContext): EntryCheck {
  const decoded = decode(received);
  if ('ok' in decoded) return decoded;
  if (decoded.bytes > MAX_ENTRY_BYTES) return reject('OVERSIZED', `${decoded.bytes} bytes, more than ${MAX_ENTRY_BYTES}`);
  if (isUnsigned(decoded.raw)) return reject('BAD_SIGNATURE', 'unsigned');
  const parsed = parse(decoded.raw, ctx);
  if ('ok' in parsed) return parsed;
  const { record: entry, signer } = parsed;
  if (isBeyondSkew(entry.hlc.wallMs, ctx.nowMs, ctx.maxSkewMs)) {
    return reject('FUTURE', `clock ${entry.hlc.wallMs - ctx.nowMs} ms ahead, more than the ${ctx.maxSkewMs} ms allowed`);
  }
  if (entry.expiresAtMs <= ctx.nowMs) return reject('EXPIRED', `expired ${ctx.nowMs - entry.expiresAtMs} ms ago`);
  const held = ctx.held?.(recordKey(entry));
  if (held && compareVersions(recordVersion(entry), held) <= 0) {
    const detail = `clock ${entry.hlc.wallMs}.${entry.hlc.counter} is not newer than the held ${held.hlc.wallMs}.${held.hlc.counter}`;
    return { ok: false, reason: 'REPLAYED', detail, duplicate: entry.signature === held.signature };
  }
  if (!isSignedBy(signer, decoded.raw as Record<string, unknown>)) return reject('BAD_SIGNATURE', `not signed by ${isReputationRecord(entry) ? 'observer' : 'worker'} ${signer}`);
  return { ok: true, entry };
}
