import { DrexError } from '../../protocol/errors.ts';
import { bucketCountFor, MAX_DIGEST_BUCKETS, parseDigest, type KeyDigest } from './digest.ts';
import {
  decodeMessage,
  encodeMessage,
  fitEntries,
  fitKeys,
  MembershipSyncError,
  syncReplyV1,
  syncRequestV1,
  type SyncReplyV1,
  type SyncRequestV1,
} from './gossip-messages.ts';
import type { MembershipRecord } from './membership-record.ts';
import type { MemberMap } from './member-map.ts';

/** Bytes kept for a message's envelope around the entries and keys it carries. */
const ENVELOPE_BYTES = 256;

/** Counters of one replica's anti-entropy, both as asker and as responder. */
export interface AntiEntropyCounters {
  /** Rounds this replica started, and those that failed (no answer, a refusal, a bad reply). */
  rounds: number;
  failedRounds: number;
  /** Requests this replica answered, and those it refused (malformed). */
  answered: number;
  refused: number;
  bytesSent: number;
  bytesReceived: number;
  /** Entries sent to peers, and received entries that changed this replica. */
  entriesSent: number;
  entriesRepaired: number;
}

/** What one round did: the entries that changed this replica, how many it sent, and whether more remains. */
export interface RoundOutcome {
  repaired: MembershipRecord[];
  sent: number;
  /** The two replicas held the same (nothing was exchanged past the summary). */
  equal: boolean;
  /** Some differing buckets or entries did not fit the byte bound: another round would repair more. */
  truncated: boolean;
}

/** Sends one request to the peer and resolves with its reply's bytes (rejects when none comes). */
export type AskPeer = (request: Uint8Array) => Promise<Uint8Array>;

/**
 * The anti-entropy exchange between two replicas, over any request/reply transport, in two requests:
 * 1. summary: the asker's bucket hashes; the responder answers with its versions in the buckets that
 *    differ (MemberMap.keysFor), or asks for a finer summary when it holds too many members for one;
 * 2. push: the entries the responder lacks (MemberMap.missingFor) and the asker's versions in those
 *    buckets; the responder merges them and answers with the entries the asker lacks.
 * Every message is at most the smaller of the two replicas' bounds: keys are narrowed to whole buckets and entry lists cut,
 * and a round that could not send everything says so (`truncated`). The responder keeps no state.
 */
export class AntiEntropy {
  readonly counters: AntiEntropyCounters = { rounds: 0, failedRounds: 0, answered: 0, refused: 0, bytesSent: 0, bytesReceived: 0, entriesSent: 0, entriesRepaired: 0 };

  constructor(private readonly o: { map: MemberMap; id: string; maxMessageBytes: number }) {}

  /** The reply to one request (and the asker's id when it could be read); never throws. */
  answer(data: Uint8Array): { reply: Uint8Array; from?: string } {
    this.counters.bytesReceived += data.byteLength;
    let reply: SyncReplyV1;
    let from: string | undefined;
    try {
      const req = decodeMessage(data, syncRequestV1, this.o.maxMessageBytes);
      from = req.from;
      reply = this.replyTo(req);
      this.counters.answered += 1;
    } catch (err) {
      this.counters.refused += 1;
      const e = err instanceof DrexError ? err : new MembershipSyncError(String(err));
      reply = { v: 1, ok: false, code: e.code, message: e.message.slice(0, 1024) };
    }
    const bytes = encodeMessage(reply);
    this.counters.bytesSent += bytes.byteLength;
    return from === undefined ? { reply: bytes } : { reply: bytes, from };
  }

  /** One round with a peer; rejects (MembershipSyncError or the transport's error) when it fails. */
  async round(ask: AskPeer): Promise<RoundOutcome> {
    this.counters.rounds += 1;
    try {
      return await this.exchange(ask);
    } catch (err) {
      this.counters.failedRounds += 1;
      throw err;
    }
  }

  private async exchange(ask: AskPeer): Promise<RoundOutcome> {
    const { map, id } = this.o;
    let summary = await this.request(ask, { v: 1, op: 'summary', from: id, maxBytes: this.o.maxMessageBytes, digest: map.digest() });
    if (summary.op === 'summary' && summary.count !== undefined) {
      // The peer holds more members than our summary's buckets suit: summarize again at its count, once.
      const count = summary.count;
      if (!(count > map.digest().count && count <= MAX_DIGEST_BUCKETS && (count & (count - 1)) === 0)) throw new MembershipSyncError(`the peer asked for a summary of ${count} buckets`);
      summary = await this.request(ask, { v: 1, op: 'summary', from: id, maxBytes: this.o.maxMessageBytes, digest: map.digest(count) });
    }
    if (summary.op !== 'summary' || summary.keys === undefined) throw new MembershipSyncError('the peer answered a summary with something else');
    const theirs = asKeys(summary.keys);
    if (theirs.buckets.length === 0) return { repaired: [], sent: 0, equal: true, truncated: false };

    const budget = Math.min(this.o.maxMessageBytes, summary.maxBytes) - ENVELOPE_BYTES;
    const ours = fitKeys(map.keysFor(theirs), Math.floor(budget / 2));
    const keysBytes = Buffer.byteLength(JSON.stringify(ours.keys));
    const push = fitEntries(map.missingFor(theirs), budget - keysBytes);
    const answer = await this.request(ask, { v: 1, op: 'push', from: id, maxBytes: this.o.maxMessageBytes, entries: push.taken, keys: ours.keys });
    if (answer.op !== 'push') throw new MembershipSyncError('the peer answered a push with something else');
    this.counters.entriesSent += push.taken.length;
    const repaired = map.merge(answer.entries);
    this.counters.entriesRepaired += repaired.length;
    return { repaired, sent: push.taken.length, equal: false, truncated: Boolean(summary.truncated) || ours.truncated || push.truncated || answer.truncated };
  }

  private async request(ask: AskPeer, req: SyncRequestV1): Promise<Extract<SyncReplyV1, { ok: true }>> {
    const bytes = encodeMessage(req);
    this.counters.bytesSent += bytes.byteLength;
    const data = await ask(bytes);
    this.counters.bytesReceived += data.byteLength;
    const reply = decodeMessage(data, syncReplyV1, this.o.maxMessageBytes);
    if (!reply.ok) throw new MembershipSyncError(`the peer refused anti-entropy: ${reply.code}: ${reply.message}`);
    return reply;
  }

  private replyTo(req: SyncRequestV1): SyncReplyV1 {
    const { map } = this.o;
    const budget = Math.min(this.o.maxMessageBytes, req.maxBytes) - ENVELOPE_BYTES;
    if (req.op === 'summary') {
      const digest = parseDigest(req.digest);
      const wanted = bucketCountFor(map.size);
      if (digest.kind === 'buckets' && digest.count < wanted) return { v: 1, ok: true, op: 'summary', maxBytes: this.o.maxMessageBytes, count: wanted };
      const fitted = fitKeys(map.keysFor(digest), budget);
      return { v: 1, ok: true, op: 'summary', maxBytes: this.o.maxMessageBytes, keys: fitted.keys, truncated: fitted.truncated };
    }
    const keys = asKeys(req.keys);
    this.counters.entriesRepaired += map.merge(req.entries).length;
    const back = fitEntries(map.missingFor(keys), budget);
    this.counters.entriesSent += back.taken.length;
    return { v: 1, ok: true, op: 'push', entries: back.taken, truncated: back.truncated };
  }
}

/** `raw` as a keys digest (MembershipDigestError when it is no digest, MembershipSyncError when a summary). */
function asKeys(raw: unknown): KeyDigest {
  const d = parseDigest(raw);
  if (d.kind !== 'keys') throw new MembershipSyncError('expected the versions of some buckets (a keys digest), got a summary');
  return d;
}
