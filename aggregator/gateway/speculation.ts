import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, type Registry } from 'prom-client';
import { halfJobId, halfJobV1, heldHalfV1, speculativeHalfJobId, splitHalfJobId } from '../../protocol/messages/half.ts';
import { leaseKeyOfJob } from '../../protocol/messages/work.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import { parseJsonMessage } from '../../protocol/parse-message.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { HeldLease, LeaseStore } from './lease-store.ts';

export interface SpeculationOptions {
  nc: NatsConnection;
  names: NatsNames;
  /** The halves bucket: answers held by the split combiner, and each proof attempt's decision. */
  halves: KV;
  leases: LeaseStore;
  /** Fraction of a half's deadline after which a copy is offered to a fast worker (0 < at < 1). */
  at: number;
  log: Logger;
  registry: Registry;
}

/**
 * Speculative re-issue of a straggler's half (the gateway's job monitor). When the holder of a half
 * is still at it past `at` of its deadline (seen at its in-progress signal), a copy of the half job
 * (`<half job id>.spec`, the same sealed share) goes to the queue once, for a worker whose benchmark
 * says it finishes in time. Whichever of the two holders answers first is kept: the other one's next
 * in-progress signal cancels its lease (its delivery terminated), and a copy or original still queued
 * once its half is answered is terminated when it comes up.
 */
export class Speculation {
  private js?: JetStreamClient;
  private jsm?: JetStreamManager;
  private readonly offered: Counter;
  private readonly cancelled: Counter;

  constructor(private readonly o: SpeculationOptions) {
    this.offered = new Counter({ name: 'drex_gateway_speculative_copies_total', help: 'Halves offered again to a fast worker because their holder was slow', registers: [o.registry] });
    this.cancelled = new Counter({ name: 'drex_gateway_speculation_cancelled_total', help: 'Half leases cancelled because the other holder of the same half answered first', registers: [o.registry] });
  }

  /**
   * Whether the half job `jobId` needs no more answers: another holder of the same half (the
   * original's or the copy's lease, other than `leaseId`) answered, an answer to it is held, or its
   * proof attempt is decided.
   */
  async answered(jobId: string, leaseId?: string): Promise<boolean> {
    const split = splitHalfJobId(jobId);
    if (!split) return false;
    const canonical = halfJobId(split.proofId, split.half);
    const [held, decided] = await Promise.all([this.o.halves.get(canonical), this.o.halves.get(split.proofId)]);
    if (decided && decided.operation === 'PUT' && decided.length > 0) return true;
    if (held && held.operation === 'PUT' && held.length > 0) {
      const h = parseJsonMessage(held.value, heldHalfV1);
      if (!h.ok || h.data.leaseId !== leaseId) return true;
    }
    for (const id of [canonical, speculativeHalfJobId(canonical)]) {
      if (id === jobId) continue;
      const other = await this.o.leases.read(leaseKeyOfJob(id));
      if (other && other.lease.state === 'acked' && other.lease.leaseId !== leaseId) return true;
    }
    return false;
  }

  /** Counts a lease cancelled because the other holder of its half answered first. */
  noteCancelled(): void {
    this.cancelled.inc();
  }

  /** Offers a copy of `h`'s half when its holder is past `at` of the deadline and none was offered; true when offered now. */
  async maybeOffer(h: HeldLease, now = Date.now()): Promise<boolean> {
    const { lease } = h;
    if (!lease.deadlineMs || lease.speculated || !lease.jobId) return false;
    const split = splitHalfJobId(lease.jobId);
    if (!split || split.speculative) return false;
    if (now - lease.grantedMs < this.o.at * (lease.deadlineMs - lease.grantedMs)) return false;
    if (!(await this.o.leases.markSpeculated(h))) return false; // another replica offered it, or the lease moved on
    this.jsm ??= await jetstreamManager(this.o.nc, { checkAPI: false });
    this.js ??= jetstream(this.o.nc, { checkAPI: false });
    const stored = await this.jsm.streams.getMessage(this.o.names.jobsStream, { seq: lease.seq }).catch(() => null);
    const job = stored ? parseJsonMessage(stored.data, halfJobV1) : null;
    if (!job?.ok) return false;
    const copy = { ...job.data, jobId: speculativeHalfJobId(job.data.jobId), enqueuedMs: now };
    await this.js.publish(this.o.names.halfJobSubject, JSON.stringify(copy), { msgID: `spec:${job.data.jobId}:${lease.deliveryCount}` });
    this.offered.inc();
    this.o.log.info('half holder is slow: a copy is offered to a fast worker', { jobId: job.data.jobId, holder: lease.workerId, elapsedMs: now - lease.grantedMs, deadlineMs: lease.deadlineMs - lease.grantedMs });
    return true;
  }
}
