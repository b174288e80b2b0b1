import { canonicalBytes } from '../../protocol/canonical.ts';
import { schemaIssues } from '../../protocol/parse-message.ts';
import { isSignedBy } from '../identity/signed-message.ts';
import { isBeyondSkew } from './hlc.ts';
import { compareVersions, entryVersion, MAX_ENTRY_BYTES, memberEntryV2, type EntryVersion, type MemberEntry } from './member-entry.ts';

/** Why a received membership entry was dropped. */
export const REJECTION_REASONS = ['OVERSIZED', 'MALFORMED', 'NOT_ADMITTED', 'FUTURE', 'EXPIRED', 'REPLAYED', 'BAD_SIGNATURE'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A kept entry, or why it was dropped (`duplicate`: a REPLAYED entry that is the very one held, as gossip delivers). */
export type EntryCheck = { ok: true; entry: MemberEntry } | { ok: false; reason: RejectionReason; detail: string; duplicate?: boolean };

export interface EntryCheckContext {
  /** The replica's wall clock, epoch ms. */
  nowMs: number;
  /** How far (ms) an entry's clock may read ahead of nowMs. */
  maxSkewMs: number;
  /** Whether the operator policy admits this worker id (must not throw). */
  isAdmitted: (workerId: string) => boolean;
  /** The version the replica holds for this worker (a live entry or a tombstone), if any. */
  held?: (workerId: string) => EntryVersion | undefined;
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

/**
 * Checks a received entry (JSON bytes or text, or an object as parsed from them) for a replica: the
 * cheap checks first and the signature last, so that duplicates and stale copies, the bulk of gossip,
 * cost no signature verification. Never throws (unless `isAdmitted` does).
 */
export function checkEntry(received: unknown, ctx: EntryCheckContext): EntryCheck {
  const decoded = decode(received);
  if ('ok' in decoded) return decoded;
  if (decoded.bytes > MAX_ENTRY_BYTES) return reject('OVERSIZED', `${decoded.bytes} bytes, more than ${MAX_ENTRY_BYTES}`);
  if (isUnsigned(decoded.raw)) return reject('BAD_SIGNATURE', 'unsigned');
  const parsed = memberEntryV2.safeParse(decoded.raw);
  if (!parsed.success) return reject('MALFORMED', schemaIssues(parsed.error));
  const entry = parsed.data;
  if (!ctx.isAdmitted(entry.workerId)) return reject('NOT_ADMITTED', `worker ${entry.workerId} is not admitted`);
  if (isBeyondSkew(entry.hlc.wallMs, ctx.nowMs, ctx.maxSkewMs)) {
    return reject('FUTURE', `clock ${entry.hlc.wallMs - ctx.nowMs} ms ahead, more than the ${ctx.maxSkewMs} ms allowed`);
  }
  if (entry.expiresAtMs <= ctx.nowMs) return reject('EXPIRED', `expired ${ctx.nowMs - entry.expiresAtMs} ms ago`);
  const held = ctx.held?.(entry.workerId);
  if (held && compareVersions(entryVersion(entry), held) <= 0) {
    const detail = `clock ${entry.hlc.wallMs}.${entry.hlc.counter} is not newer than the held ${held.hlc.wallMs}.${held.hlc.counter}`;
    return { ok: false, reason: 'REPLAYED', detail, duplicate: entry.signature === held.signature };
  }
  if (!isSignedBy(entry.workerId, decoded.raw as Record<string, unknown>)) return reject('BAD_SIGNATURE', `not signed by worker ${entry.workerId}`);
  return { ok: true, entry };
}
