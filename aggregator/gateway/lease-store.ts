import { randomBytes } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { leaseKeyOf, leaseKeyOfJob, leaseKeyOfSeq, leaseV1, type GrantAttestationV1, type LeaseV1 } from '../../protocol/messages/work.ts';
import { WorkRefusal } from './gateway-errors.ts';

/** A current lease and the revision it was read at (for compare-and-set). */
export interface HeldLease {
  key: string;
  lease: LeaseV1;
  revision: number;
}

/** The job id of a job message, when it has a readable one (the message is not validated here). */
function jobIdOf(data: Uint8Array): string | undefined {
  try {
    const id = (JSON.parse(Buffer.from(data).toString('utf8')) as { jobId?: unknown }).jobId;
    return typeof id === 'string' && id.length >= 1 && id.length <= 200 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The lease key of a job message: by its job id, or by its stream sequence when it has none. */
export function leaseKeyOfMessage(msg: JsMsg): { key: string; jobId?: string } {
  const jobId = jobIdOf(msg.data);
  return jobId ? { key: leaseKeyOfJob(jobId), jobId } : { key: leaseKeyOfSeq(msg.seq) };
}

/** The delivery's ack subject (`msg.reply`, which the JsMsg type does not declare). */
function ackSubjectOf(msg: JsMsg): string | undefined {
  const reply = (msg as unknown as { reply?: unknown }).reply;
  return typeof reply === 'string' && reply.startsWith('$JS.ACK.') ? reply : undefined;
}

/** Job leases in the leases KV bucket (see leaseV1 in protocol/messages/work.ts). */
export class LeaseStore {
  /** `onTimedOut`: told the holder of a lease still held when its job is delivered again (its ack wait ran out). */
  constructor(
    private readonly kv: KV,
    private readonly onTimedOut?: (workerId: string) => void,
  ) {}

  /** Writes a fresh lease on `msg`'s delivery for `workerId`, replacing whatever lease the job had. */
  async grant(msg: JsMsg, workerId: string, now = Date.now(), deadlineMs?: number, attestation?: GrantAttestationV1): Promise<LeaseV1> {
    const { key, jobId } = leaseKeyOfMessage(msg);
    const previous = this.onTimedOut && msg.info.deliveryCount > 1 ? await this.read(key) : null;
    if (previous && previous.lease.state === 'held' && previous.lease.deliveryCount < msg.info.deliveryCount) this.onTimedOut!(previous.lease.workerId);
    const ackSubject = ackSubjectOf(msg);
    if (!ackSubject) throw new WorkRefusal('UNAVAILABLE', 'the delivery has no ack subject');
    const lease: LeaseV1 = {
      v: 1,
      leaseId: `${key}.${randomBytes(16).toString('hex')}`,
      workerId,
      ...(jobId ? { jobId } : {}),
      seq: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      ackSubject,
      grantedMs: now,
      ...(deadlineMs ? { deadlineMs } : {}),
      ...(attestation ? { attestation } : {}),
      state: 'held',
    };
    await this.kv.put(key, JSON.stringify(lease));
    return lease;
  }

  /** The lease stored under `key`, or null (none, deleted, or unreadable). */
  async read(key: string): Promise<HeldLease | null> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    let parsed;
    try {
      parsed = leaseV1.safeParse(e.json());
    } catch {
      return null;
    }
    return parsed.success ? { key, lease: parsed.data, revision: e.revision } : null;
  }

  /** The lease `leaseId` if it is current, still held, and `workerId`'s; otherwise throws LEASE_LOST. */
  async held(leaseId: string, workerId: string): Promise<HeldLease> {
    const h = await this.read(leaseKeyOf(leaseId));
    if (!h || h.lease.leaseId !== leaseId) throw new WorkRefusal('LEASE_LOST', 'the lease is not current: the job was released or delivered again');
    if (h.lease.workerId !== workerId) throw new WorkRefusal('LEASE_LOST', 'the lease is held by another worker');
    if (h.lease.state !== 'held') throw new WorkRefusal('LEASE_LOST', 'the job was already acked');
    return h;
  }

  /** Marks a lease acked, unless it changed since it was read (then the job was delivered again). */
  async markAcked(h: HeldLease): Promise<boolean> {
    return this.kv
      .update(h.key, JSON.stringify({ ...h.lease, state: 'acked' } satisfies LeaseV1), h.revision)
      .then(() => true)
      .catch(() => false);
  }

  /** Marks a lease's half as offered to another worker too, unless the lease changed since it was read. */
  async markSpeculated(h: HeldLease): Promise<boolean> {
    return this.kv
      .update(h.key, JSON.stringify({ ...h.lease, speculated: true } satisfies LeaseV1), h.revision)
      .then(() => true)
      .catch(() => false);
  }

  /** Deletes a lease, unless it changed since it was read (then it is another delivery's). */
  async remove(h: HeldLease): Promise<boolean> {
    return this.kv
      .delete(h.key, { previousSeq: h.revision })
      .then(() => true)
      .catch(() => false);
  }
}
