import { DrexError } from '../../protocol/errors.ts';
import type { RejectionReason } from './check-entry.ts';
import { decodeMessage, deltaMessages, encodeMessage, deltaMessageV1, MembershipMessageOversizedError, MIN_MAX_MESSAGE_BYTES } from './gossip-messages.ts';
import { MemberMap, type MemberMapOptions } from './member-map.ts';
import type { MembershipRecord } from './membership-record.ts';
import { AntiEntropy, type AntiEntropyCounters } from './sync-protocol.ts';

/** Why a whole received message was dropped (its entries, when it had any readable, were not looked at). */
export type MessageDropReason = 'OVERSIZED_MESSAGE' | 'MALFORMED_MESSAGE';

/** A replica's counters, as plain numbers (a snapshot), for metrics. */
export interface MembershipStats {
  /** Received entries dropped, by reason, and whole messages dropped. */
  dropped: Record<RejectionReason | MessageDropReason, number>;
  /** Received copies of an entry already held (normal with gossip; never re-sent). */
  duplicates: number;
  gossip: { messagesSent: number; bytesSent: number; messagesReceived: number; bytesReceived: number; entriesMerged: number };
  antiEntropy: AntiEntropyCounters;
  /** Entries and reputation records turned into tombstones by expiry. */
  expired: number;
  /** Live members held now. */
  members: number;
  /** Live reputation records held now (of every observer and worker). */
  reputationRecords: number;
}

export interface MembershipCoreOptions extends MemberMapOptions {
  /** This replica's id (a subject token). */
  id: string;
  /** Bound of every message sent or accepted, in bytes (at least MIN_MAX_MESSAGE_BYTES). */
  maxMessageBytes: number;
}

/** Options a replica cannot be built with. */
export class MembershipOptionsError extends DrexError {
  override name = 'MembershipOptionsError';
  readonly code = 'MEMBERSHIP_OPTIONS_INVALID';
}

/**
 * A membership replica without its transport: the map, what to publish for local changes, what to do
 * with a received delta, and the anti-entropy exchange. The NATS replica (gossip.ts) and the benchmark's
 * in-memory swarm run the same code. Received deltas are merged and never re-published: gossip reaches
 * every replica by broadcast, so a copy of an entry already held is a duplicate, counted and dropped.
 */
export class MembershipCore {
  readonly map: MemberMap;
  readonly antiEntropy: AntiEntropy;
  private readonly gossip = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0, entriesMerged: 0 };
  private readonly droppedMessages: Record<MessageDropReason, number> = { OVERSIZED_MESSAGE: 0, MALFORMED_MESSAGE: 0 };
  private expiredCount = 0;

  constructor(readonly o: MembershipCoreOptions) {
    if (!Number.isSafeInteger(o.maxMessageBytes) || o.maxMessageBytes < MIN_MAX_MESSAGE_BYTES) {
      throw new MembershipOptionsError(`maxMessageBytes must be an integer of at least ${MIN_MAX_MESSAGE_BYTES}, got ${o.maxMessageBytes}`);
    }
    this.map = new MemberMap(o);
    this.antiEntropy = new AntiEntropy({ map: this.map, id: o.id, maxMessageBytes: o.maxMessageBytes });
  }

  get id(): string {
    return this.o.id;
  }

  /**
   * Takes in local entries or reputation records (this replica's own worker's or observer's, or ones
   * handed to it first) and returns the changed ones with the delta messages that carry them (none when
   * nothing changed), each within the bound.
   */
  local(entries: readonly unknown[]): { changed: MembershipRecord[]; messages: Uint8Array[] } {
    const changed = this.map.merge(entries);
    return { changed, messages: changed.length === 0 ? [] : this.outgoing(changed) };
  }

  /** The delta messages of `entries` (an empty list makes one empty delta: a hello), counted as sent. */
  outgoing(entries: readonly MembershipRecord[]): Uint8Array[] {
    const messages = entries.length === 0 ? [encodeMessage({ v: 1, from: this.o.id, entries: [] })] : deltaMessages(this.o.id, entries, this.o.maxMessageBytes);
    for (const m of messages) this.countSent(m);
    return messages;
  }

  /** Counts a message put on the wire (when a transport sends the same bytes to several places, once each). */
  countSent(message: Uint8Array): void {
    this.gossip.messagesSent += 1;
    this.gossip.bytesSent += message.byteLength;
  }

  /**
   * Takes in a received delta message: returns its sender and the entries that changed this replica,
   * or null when the message is dropped (oversized, malformed, or this replica's own).
   */
  receive(data: Uint8Array): { from: string; changed: MembershipRecord[] } | null {
    this.gossip.messagesReceived += 1;
    this.gossip.bytesReceived += data.byteLength;
    let msg;
    try {
      msg = decodeMessage(data, deltaMessageV1, this.o.maxMessageBytes);
    } catch (err) {
      this.droppedMessages[err instanceof MembershipMessageOversizedError ? 'OVERSIZED_MESSAGE' : 'MALFORMED_MESSAGE'] += 1;
      return null;
    }
    if (msg.from === this.o.id) return null;
    const changed = this.map.merge(msg.entries);
    this.gossip.entriesMerged += changed.length;
    return { from: msg.from, changed };
  }

  /** A worker's reputation score, 0 to 100, at `nowMs` (default: now) from every observer's record of it (see MemberMap.reputationOf). */
  reputationOf(workerId: string, nowMs?: number): number {
    return this.map.reputationOf(workerId, nowMs);
  }

  /** Expires entries and records past their time (see MemberMap.expire); returns the expired keys. */
  expire(nowMs?: number): string[] {
    const expired = this.map.expire(nowMs);
    this.expiredCount += expired.length;
    return expired;
  }

  /** A snapshot of the counters. */
  get stats(): MembershipStats {
    return {
      dropped: { ...this.map.dropped, ...this.droppedMessages },
      duplicates: this.map.duplicates,
      gossip: { ...this.gossip },
      antiEntropy: { ...this.antiEntropy.counters },
      expired: this.expiredCount,
      members: this.map.members().length,
      reputationRecords: this.map.reputationRecords().length,
    };
  }
}
