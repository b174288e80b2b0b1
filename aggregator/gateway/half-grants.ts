import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { SealedObjectRef } from '../../protocol/messages/fields.ts';
import { leaseShareObject, splitRecordV1, type HalfJobV1, type SplitRecordV1 } from '../../protocol/messages/half.ts';
import type { MemberEntry } from '../../swarm/membership/member-entry.ts';
import { decodeSealed, encodeSealed, openSealed, sealTo } from '../../swarm/sealing/hpke-seal.ts';
import type { SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import type { TransferExclusions } from '../split/exclusions.ts';

/** Why a worker may not take a half (it goes back to the queue for another worker). */
export type HalfRefusal = { ok: false; reason: string };

const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * The job gateway's part in split proving: who may hold which half, and the re-sealing of a granted
 * half's share to its taker. The split record (splits bucket, compare-and-set) remembers every holder
 * of each half: a worker never gets both halves of one proof attempt, nor a half another worker of its
 * operator held the other of, nor a half it held before (a late or handed-back half goes to someone
 * else), nor any half of an attempt that excludes it.
 */
export class HalfGrants {
  constructor(private readonly o: { splits: KV; shares: ObjectStore; sealKey: SealKeyPair; exclusions?: TransferExclusions }) {}

  /** Records `member` as a holder of `job`'s half if the split rules allow it. */
  async claim(job: HalfJobV1, member: MemberEntry): Promise<{ ok: true } | HalfRefusal> {
    if (!member.capabilities.sealKey) return { ok: false, reason: 'the worker declares no seal key' };
    if (await this.o.exclusions?.has(job.proofId, member.workerId)) return { ok: false, reason: 'the worker answered a half of this transfer wrongly' };
    for (let tries = 0; tries < 8; tries++) {
      const { record, revision } = await this.read(job.proofId);
      const other = (1 - job.half) as 0 | 1;
      const w = member.workerId;
      if (record.holders[other].includes(w)) return { ok: false, reason: 'the worker holds the other half' };
      if (record.operators[other].includes(member.operator)) return { ok: false, reason: 'a worker of the same operator holds the other half' };
      if (record.holders[job.half].includes(w)) return { ok: false, reason: 'the worker held this half before' };
      if (record.holders[job.half].length >= 64) return { ok: false, reason: 'this half ran out of holders' };
      const next: SplitRecordV1 = structuredClone(record);
      next.holders[job.half].push(w);
      if (!next.operators[job.half].includes(member.operator)) next.operators[job.half].push(member.operator);
      try {
        if (revision === 0) await this.o.splits.create(job.proofId, JSON.stringify(next));
        else await this.o.splits.update(job.proofId, JSON.stringify(next), revision);
        return { ok: true };
      } catch {
        // Another replica granted a half of this attempt meanwhile: read again.
      }
    }
    return { ok: false, reason: 'the split record is contended' };
  }

  /**
   * Opens job `jobId`'s share (a half's scalars or a whole job's inputs, sealed to the gateway, bound to
   * the job id) and seals it again to the taker's key, bound to its lease id. Returns null when the share
   * is gone or does not open.
   */
  async reseal(jobId: string, share: SealedObjectRef, leaseId: string, sealKey: string): Promise<SealedObjectRef | null> {
    const sealed = await this.o.shares.getBlob(share.object);
    if (!sealed) return null;
    let plain: Uint8Array;
    try {
      plain = await openSealed(this.o.sealKey, decodeSealed(sealed), utf8(jobId));
    } catch {
      return null;
    }
    const box = encodeSealed(await sealTo(sealKey, plain, utf8(leaseId)));
    plain.fill(0);
    const object = leaseShareObject(leaseId);
    await this.o.shares.putBlob({ name: object }, box);
    return { object, bytes: box.byteLength };
  }

  /** Deletes a lease's re-sealed share (best effort: the bucket's age limit removes what is left). */
  async discard(leaseId: string): Promise<void> {
    await this.o.shares.delete(leaseShareObject(leaseId)).catch(() => {});
  }

  private async read(proofId: string): Promise<{ record: SplitRecordV1; revision: number }> {
    const e = await this.o.splits.get(proofId);
    const empty: SplitRecordV1 = { v: 1, proofId, holders: [[], []], operators: [[], []] };
    if (!e || e.operation !== 'PUT' || e.length === 0) return { record: empty, revision: e && e.operation !== 'PUT' ? e.revision : 0 };
    const p = splitRecordV1.safeParse(e.json());
    return { record: p.success ? p.data : empty, revision: e.revision };
  }
}
