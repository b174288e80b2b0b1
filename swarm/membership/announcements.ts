import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { operatorToken, type NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../log/logger.ts';
import type { MemberEntry } from './member-entry.ts';

/** A replica's answer to an announcement sent as a request: whether it holds the announced entry now. */
export const announceReplyV1 = z.object({ v: z.literal(1), ok: z.boolean(), replica: z.string(), reason: z.string().optional() }).strict();
export type AnnounceReplyV1 = z.infer<typeof announceReplyV1>;

/** Why an announcement was not taken in. */
export type AnnouncementDropReason = 'WRONG_SUBJECT' | 'REFUSED';

/** What the announcement intake needs of a replica. */
export interface AnnouncementTarget {
  readonly id: string;
  /** Checks an entry and keeps it when newer (see MemberMap.apply). */
  take(received: unknown): void;
  /** The worker's live entry, if any. */
  member(workerId: string): MemberEntry | undefined;
}

/** The worker id and operator token an announcement subject names (its last two tokens). */
function claimOfSubject(subject: string): { workerId: string; operatorToken: string } {
  const tokens = subject.split('.');
  return { workerId: tokens[tokens.length - 2] ?? '', operatorToken: tokens[tokens.length - 1] ?? '' };
}

/** The `workerId` field of a received entry, or undefined when the bytes are not such an object. */
function claimedWorker(data: Uint8Array): { raw: unknown; workerId?: unknown; operator?: unknown } {
  try {
    const raw = JSON.parse(new TextDecoder().decode(data)) as unknown;
    if (typeof raw !== 'object' || raw === null) return { raw };
    const { workerId, operator } = raw as { workerId?: unknown; operator?: unknown };
    return { raw, workerId, operator };
  } catch {
    return { raw: data };
  }
}

/**
 * Takes workers' own entries in from `members.v1.announce.<worker id>.<operator token>`. Only that
 * worker, admitted for that operator, may publish there (its NATS permissions), so an entry whose worker
 * id or operator is not the subject's is dropped (WRONG_SUBJECT): a worker can announce itself, under
 * its admitted operator, and no one else. The entry then goes through the
 * replica's usual checks; a request is answered with whether this replica now holds the entry. Every
 * replica listens (no queue group), so each takes the announcement in first-hand; nothing is relayed.
 */
export class AnnouncementIntake {
  private sub?: Subscription;
  readonly dropped: Record<AnnouncementDropReason, number> = { WRONG_SUBJECT: 0, REFUSED: 0 };
  taken = 0;

  constructor(private readonly o: { nc: NatsConnection; names: NatsNames; replica: AnnouncementTarget; log?: Logger }) {}

  async start(): Promise<void> {
    this.sub = this.o.nc.subscribe(this.o.names.membersAnnounceAll, {
      callback: (err, msg) => {
        if (err) return void this.o.log?.warn('announcement subscription failed', { error: err });
        this.onAnnouncement(msg);
      },
    });
    await this.o.nc.flush();
  }

  async stop(): Promise<void> {
    await this.sub?.drain().catch(() => this.sub?.unsubscribe());
  }

  private onAnnouncement(msg: Msg): void {
    const claim = claimOfSubject(msg.subject);
    const subjectWorker = claim.workerId;
    const { raw, workerId, operator } = claimedWorker(msg.data);
    let reply: AnnounceReplyV1;
    if (workerId !== subjectWorker || typeof operator !== 'string' || operatorToken(operator) !== claim.operatorToken) {
      this.dropped.WRONG_SUBJECT += 1;
      reply = { v: 1, ok: false, replica: this.o.replica.id, reason: 'the entry names another worker or operator than the announcement subject' };
    } else {
      this.o.replica.take(raw);
      const held = this.o.replica.member(subjectWorker);
      const signature = (raw as { signature?: unknown }).signature;
      if (held && held.signature === signature) {
        this.taken += 1;
        reply = { v: 1, ok: true, replica: this.o.replica.id };
      } else {
        this.dropped.REFUSED += 1;
        reply = { v: 1, ok: false, replica: this.o.replica.id, reason: 'the replica refused the entry (see its drop counters)' };
      }
    }
    if (!msg.reply) return;
    try {
      msg.respond(JSON.stringify(reply));
    } catch (err) {
      this.o.log?.warn('announcement reply not sent', { error: err });
    }
  }
}
