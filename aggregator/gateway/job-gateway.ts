import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import {
  progressRequestV1,
  releaseRequestV1,
  takeRequestV1,
  type GrantedJobV1,
  type ProgressRequestV1,
  type ReleaseRequestV1,
  type TakeReplyV1,
  type TakeRequestV1,
  type WorkReplyV1,
} from '../../protocol/messages/work.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { halfJobId, halfJobV1, splitHalfJobId, type HalfJobV1 } from '../../protocol/messages/half.ts';
import { jobV1, type JobV1 } from '../../protocol/messages/job.ts';
import type { MemberEntry } from '../../swarm/membership/member-entry.ts';
import { liveMember, type MemberSource } from '../intake/member-check.ts';
import { REPUTATION_THRESHOLD } from '../../swarm/membership/reputation-score.ts';
import type { Reputation } from '../intake/reputation.ts';
import type { HalfGrants } from './half-grants.ts';
import { AckSubject } from './ack-subject.ts';
import { WorkRefusal } from './gateway-errors.ts';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.ts';
import { LeaseStore } from './lease-store.ts';
import { parseSignedRequest } from './signed-request.ts';
import { Speculation } from './speculation.ts';
import { AttestedWorkers } from './attested-workers.ts';
import type { AttestationPolicy } from '../../swarm/attestation/attestation-policy.ts';

export interface JobGatewayOptions {
  nc: NatsConnection;
  names: NatsNames;
  /** The `provers` consumer: the gateway is its only client. */
  consumer: Consumer;
  leases: KV;
  /** The membership replica: only live members take jobs. */
  members: MemberSource;
  log: Logger;
  registry: Registry;
  /** Longest a take waits for a first job (a worker asking more gets this). Default 10 s. */
  maxWaitMs?: number;
  /** Largest clock difference accepted between a request's time and the gateway's. Default 60 s. */
  maxSkewMs?: number;
  /** Split proving: who may hold which half, and re-sealing shares (none: half and whole jobs are handed back). */
  halves?: HalfGrants;
  /** Where late halves and timed-out leases are observed (none: not recorded). */
  reputation?: Pick<Reputation, 'observe'>;
  /**
   * Speculative re-issue of slow halves (see speculation.ts): the halves bucket, and the fraction of a
   * half's deadline after which a copy is offered. None: no copies.
   */
  speculation?: { halves: KV; at: number };
  /** Workers the deployment trusts with whole jobs (bank-run nodes); with attested TEE workers, no one else gets one. */
  trustedWorkers?: (workerId: string) => boolean;
  /** The deployment's attestation policy: TEE workers whose fresh attestation passes it get whole jobs too. None: no TEE worker does. */
  attestation?: AttestationPolicy;
}

/**
 * How long a worker that drew a whole job it may not hold draws nothing (each draw counts as a delivery
 * of the job: workers that can never hold it would otherwise run it out of deliveries).
 */
const PAUSE_INELIGIBLE_MS = 30_000;

/** Delay before a half refused to one worker is offered again (others take it meanwhile). */
const REFUSED_HALF_DELAY_MS = 1_000;

/** Half jobs a worker whose benchmark misses the deadline is still handed after this many deliveries (no half waits for ever). */
const FIT_RELAXED_AFTER_DELIVERIES = 4;

/**
 * Why `member` is not fit to hold `job` by its benchmark, or null: a speculative copy goes only to a
 * worker whose score (halves per minute with its threads busy) says it answers within the half's
 * deadline; an original half is kept from a worker whose score says it would miss it, for its first
 * few deliveries. A worker with no score yet is fit for originals only.
 */
export function fitProblem(job: HalfJobV1, member: MemberEntry, deliveryCount: number): string | null {
  const expectedMs = member.score > 0 ? (member.capabilities.threads * 60_000) / member.score : Infinity;
  if (splitHalfJobId(job.jobId)?.speculative) {
    return expectedMs <= job.deadlineMs ? null : `a speculative copy goes to a worker whose benchmark answers within ${job.deadlineMs} ms (this one: ${member.score > 0 ? `${Math.round(expectedMs)} ms` : 'no benchmark'})`;
  }
  if (Number.isFinite(expectedMs) && expectedMs > job.deadlineMs && deliveryCount < FIT_RELAXED_AFTER_DELIVERIES) {
    return `its benchmark (${Math.round(expectedMs)} ms a half) misses the half's deadline (${job.deadlineMs} ms)`;
  }
  return null;
}

/** The whole job a message carries, or null when it carries none (a half job, or bytes the worker refuses). */
function wholeJobOf(data: Uint8Array): JobV1 | null {
  try {
    const p = jobV1.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

/** The half job a message carries, or null when it carries none (a whole job, or bytes to refuse later). */
function halfJobOf(data: Uint8Array): HalfJobV1 | null {
  try {
    const raw = JSON.parse(Buffer.from(data).toString('utf8')) as { kind?: unknown };
    if (raw?.kind !== 'half') return null;
    const p = halfJobV1.safeParse(raw);
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

type Op = 'take' | 'progress' | 'release';

/**
 * The job gateway: workers take jobs, signal progress and release them here, never on the `provers`
 * consumer itself (whose ack subjects any holder of consume permissions could guess). Each request is
 * signed by the worker; a take needs a live member whose reputation is at least REPUTATION_THRESHOLD and writes a lease per job (leases KV: the delivery's
 * ack subject, its holder); progress and release are served only for the current lease's holder and go
 * to the stored ack subject, so any replica serves any lease. Bad requests get a named error; the
 * handlers never throw.
 */
export class JobGateway {
  private readonly subs: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly store: LeaseStore;
  private readonly acks: AckSubject;
  private readonly metrics: GatewayMetrics;
  private readonly speculation?: Speculation;
  private readonly attested?: AttestedWorkers;
  /** Workers that drew whole jobs they may not hold: until when their takes fetch nothing. */
  private readonly pausedTakers = new Map<string, number>();
  private ackWait: { ms: number; readMs: number } = { ms: 30_000, readMs: 0 };

  constructor(private readonly o: JobGatewayOptions) {
    this.store = new LeaseStore(o.leases, o.reputation ? (w) => o.reputation!.observe(w, 'timeout') : undefined);
    this.acks = new AckSubject(o.nc);
    this.metrics = createGatewayMetrics(o.registry);
    if (o.attestation) this.attested = new AttestedWorkers({ nc: o.nc, names: o.names, policy: o.attestation, log: o.log, registry: o.registry });
    if (o.speculation) this.speculation = new Speculation({ nc: o.nc, names: o.names, halves: o.speculation.halves, leases: this.store, at: o.speculation.at, log: o.log, registry: o.registry });
  }

  /** Subscribes to the gateway subjects in queue group `gateway`. */
  async start(): Promise<void> {
    await this.ackWaitMs();
    const { names } = this.o;
    this.serve('take', names.workTake, takeRequestV1, (r) => this.take(r));
    this.serve('progress', names.workProgress, progressRequestV1, (r) => this.progress(r));
    this.serve('release', names.workRelease, releaseRequestV1, (r) => this.release(r));
    await this.o.nc.flush();
  }

  /** Stops taking requests and waits for those in hand. */
  async stop(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.drain().catch(() => {})));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private serve<T extends { workerId: string; ts: number }>(op: Op, subject: string, schema: z.ZodType<T>, handle: (r: T) => Promise<TakeReplyV1 | WorkReplyV1>): void {
    const sub = this.o.nc.subscribe(subject, {
      queue: this.o.names.gatewayQueue,
      callback: (err, msg) => {
        if (err) return void this.o.log.error('gateway subscription failed', { op, error: err });
        const p = this.answer(op, msg, schema, handle).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      },
    });
    this.subs.push(sub);
  }

  private async answer<T extends { workerId: string; ts: number }>(op: Op, msg: Msg, schema: z.ZodType<T>, handle: (r: T) => Promise<TakeReplyV1 | WorkReplyV1>): Promise<void> {
    this.metrics.requests.inc({ op });
    let reply: TakeReplyV1 | WorkReplyV1;
    try {
      const req = parseSignedRequest(msg.data, schema, { now: Date.now(), maxSkewMs: this.o.maxSkewMs ?? 60_000 });
      reply = await handle(req);
    } catch (err) {
      const refusal = err instanceof WorkRefusal ? err : new WorkRefusal('UNAVAILABLE', 'the gateway could not serve the request; try again', { cause: err });
      if (!(err instanceof WorkRefusal)) this.o.log.error('gateway request failed', { op, error: err });
      else this.o.log.warn('gateway request refused', { op, code: refusal.code, detail: refusal.message });
      this.metrics.refused.inc({ op, reason: refusal.code });
      reply = { ok: false, code: refusal.code, message: refusal.message };
    }
    try {
      if (msg.reply) msg.respond(JSON.stringify(reply));
    } catch (err) {
      this.o.log.warn('gateway reply not sent', { op, error: err });
    }
  }

  /** The provers consumer's ack wait (read again at most once a minute). */
  private async ackWaitMs(): Promise<number> {
    if (Date.now() - this.ackWait.readMs > 60_000) {
      const ci = await this.o.consumer.info(false).catch(() => null);
      if (ci?.config.ack_wait) this.ackWait = { ms: Math.round(ci.config.ack_wait / 1e6), readMs: Date.now() };
    }
    return this.ackWait.ms;
  }

  private async take(r: TakeRequestV1): Promise<TakeReplyV1> {
    const member = liveMember(this.o.members, r.workerId);
    if ('problem' in member) throw new WorkRefusal('NOT_A_MEMBER', member.problem);
    const reputation = this.o.members.reputationOf(r.workerId);
    if (reputation < REPUTATION_THRESHOLD) {
      throw new WorkRefusal('LOW_REPUTATION', `reputation ${reputation} is below ${REPUTATION_THRESHOLD}: no work until the aggregators' observations of wrong or late results decay`);
    }
    const ackWaitMs = await this.ackWaitMs();
    const waitMs = Math.min(Math.max(r.waitMs, 1_000), this.o.maxWaitMs ?? 10_000);
    const pausedUntil = this.pausedTakers.get(r.workerId) ?? 0;
    if (pausedUntil > Date.now()) {
      // It could hold none of the last jobs it drew: let the queue go to others a while (each draw is a delivery).
      await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, pausedUntil - Date.now())));
      return { ok: true, ackWaitMs, jobs: [] };
    }
    const msgs = await this.fetch(r.max, waitMs);
    const jobs: GrantedJobV1[] = [];
    for (const m of msgs) {
      const half = halfJobOf(m.data);
      if (half) {
        const granted = await this.grantHalf(m, half, member.entry);
        if (granted) jobs.push(granted);
        continue;
      }
      const whole = wholeJobOf(m.data);
      if (whole) {
        const granted = await this.grantWhole(m, whole, member.entry);
        if (granted) jobs.push(granted);
        continue;
      }
      try {
        const lease = await this.store.grant(m, r.workerId);
        jobs.push({ leaseId: lease.leaseId, deliveryCount: lease.deliveryCount, job: Buffer.from(m.data).toString('base64') });
      } catch (err) {
        // No lease, no holder: hand the job straight back to the queue.
        this.o.log.error('lease not written: job handed back', { seq: m.seq, error: err });
        m.nak();
      }
    }
    this.metrics.granted.inc(jobs.length);
    return { ok: true, ackWaitMs, jobs };
  }

  /**
   * Grants a half job if the split rules let this member hold it (else hands it back for another
   * worker), with a lease that cannot be extended past the half's deadline, and the share re-sealed to
   * the member's key. A half whose share is gone or does not open is terminated (housekeeping re-issues
   * its transfer).
   */
  private async grantHalf(m: JsMsg, job: HalfJobV1, member: MemberEntry): Promise<GrantedJobV1 | null> {
    const log = this.o.log;
    if (!this.o.halves) {
      log.error('half job but this gateway has no seal key: handed back', { jobId: job.jobId });
      m.nak(REFUSED_HALF_DELAY_MS * 5);
      return null;
    }
    try {
      if (await this.speculation?.answered(job.jobId)) {
        log.info('half answered already (by the other holder of a speculative pair): terminated', { jobId: job.jobId });
        m.term('its half was answered already');
        return null;
      }
      const unfit = fitProblem(job, member, m.info.deliveryCount);
      if (unfit) {
        this.metrics.jobsRefused.inc();
        log.debug('half not granted to this worker: handed back', { jobId: job.jobId, worker: member.workerId, reason: unfit });
        m.nak(Math.min(15_000, REFUSED_HALF_DELAY_MS * 2 ** Math.min(4, m.info.deliveryCount - 1)));
        return null;
      }
      const claim = await this.o.halves.claim(job, member);
      if (!claim.ok) {
        this.metrics.jobsRefused.inc();
        log.debug('half not granted to this worker: handed back', { jobId: job.jobId, worker: member.workerId, reason: claim.reason });
        // Each refusal is a delivery: back off, so that eligible workers have time to take it first.
        m.nak(Math.min(15_000, REFUSED_HALF_DELAY_MS * 2 ** Math.min(4, m.info.deliveryCount - 1)));
        return null;
      }
      const now = Date.now();
      const lease = await this.store.grant(m, member.workerId, now, now + job.deadlineMs);
      // A speculative copy carries the original's share, sealed to the gateway bound to the original's id.
      const share = await this.o.halves.reseal(halfJobId(job.proofId, job.half), job.share, lease.leaseId, member.capabilities.sealKey!);
      if (!share) {
        log.error('half job\'s share is gone or does not open: terminated', { jobId: job.jobId });
        m.term('share missing or unreadable');
        return null;
      }
      return { leaseId: lease.leaseId, deliveryCount: lease.deliveryCount, job: Buffer.from(m.data).toString('base64'), share };
    } catch (err) {
      log.error('half job not granted: handed back', { jobId: job.jobId, error: err });
      m.nak(REFUSED_HALF_DELAY_MS);
      return null;
    }
  }

  /**
   * Grants a whole job only to a worker the deployment trusts, or a TEE worker with a valid, fresh
   * attestation of its seal key, that declares a seal key (else hands it back), with its inputs
   * re-sealed to that key. A job whose inputs are gone or do not open is terminated.
   */
  private async grantWhole(m: JsMsg, job: JobV1, member: MemberEntry): Promise<GrantedJobV1 | null> {
    const log = this.o.log;
    const trusted = this.o.trustedWorkers?.(member.workerId) === true;
    // A TEE worker's key is the one its fresh attestation document binds: whole jobs are sealed to it.
    const attested = !trusted && member.capabilities.tee && this.attested ? await this.attested.check(member) : undefined;
    const sealKey = member.capabilities.sealKey;
    if (!this.o.halves || !(trusted || attested?.ok) || !sealKey) {
      if (!this.o.halves) log.error('whole job but this gateway has no seal key: handed back', { jobId: job.jobId });
      this.metrics.jobsRefused.inc();
      // Every refusal costs the job a delivery: a worker that may not hold whole jobs stops drawing for a while.
      this.pause(member.workerId);
      m.nak(Math.min(15_000, REFUSED_HALF_DELAY_MS * 2 ** Math.min(4, m.info.deliveryCount - 1)));
      return null;
    }
    try {
      const lease = await this.store.grant(m, member.workerId, Date.now(), undefined, attested?.ok ? attested.attestation : undefined);
      const share = await this.o.halves.reseal(job.jobId, job.sealed, lease.leaseId, sealKey);
      if (!share) {
        log.error('whole job\'s sealed inputs are gone or do not open: terminated', { jobId: job.jobId });
        m.term('sealed inputs missing or unreadable');
        return null;
      }
      return { leaseId: lease.leaseId, deliveryCount: lease.deliveryCount, job: Buffer.from(m.data).toString('base64'), share };
    } catch (err) {
      log.error('whole job not granted: handed back', { jobId: job.jobId, error: err });
      m.nak(REFUSED_HALF_DELAY_MS);
      return null;
    }
  }

  /** Takes by `workerId` fetch nothing for PAUSE_INELIGIBLE_MS. */
  private pause(workerId: string): void {
    const now = Date.now();
    for (const [w, until] of this.pausedTakers) if (until <= now) this.pausedTakers.delete(w);
    this.pausedTakers.set(workerId, now + PAUSE_INELIGIBLE_MS);
  }

  /**
   * Up to `max` deliveries: waits at most `waitMs` for the first, then takes what is already pending
   * (a pull request is never abandoned while the server may still deliver to it).
   */
  private async fetch(max: number, waitMs: number): Promise<JsMsg[]> {
    const first = await this.o.consumer.next({ expires: waitMs });
    if (!first) return [];
    const out = [first];
    const more = Math.min(max - 1, first.info.pending);
    if (more > 0) {
      const batch = await this.o.consumer.fetch({ max_messages: more, expires: 1_000 });
      for await (const m of batch) out.push(m);
    }
    return out;
  }

  private async progress(r: ProgressRequestV1): Promise<WorkReplyV1> {
    const h = await this.store.held(r.leaseId, r.workerId);
    if (h.lease.deadlineMs && Date.now() > h.lease.deadlineMs) {
      // A late half goes to another worker now, not when the ack wait runs out.
      this.acks.nak(h.lease.ackSubject);
      await this.o.nc.flush();
      await this.store.remove(h);
      await this.o.halves?.discard(h.lease.leaseId);
      this.o.reputation?.observe(r.workerId, 'late');
      throw new WorkRefusal('LEASE_LOST', 'the half\'s deadline passed: it goes to another worker');
    }
    if (h.lease.jobId && (await this.speculation?.answered(h.lease.jobId, h.lease.leaseId))) {
      // The other holder of this half (a speculative pair) answered first: this lease is cancelled.
      this.acks.term(h.lease.ackSubject, 'the other holder of this half answered first');
      await this.o.nc.flush();
      await this.store.remove(h);
      await this.o.halves?.discard(h.lease.leaseId);
      this.speculation!.noteCancelled();
      throw new WorkRefusal('LEASE_LOST', 'another worker answered this half first: the lease is cancelled');
    }
    this.acks.working(h.lease.ackSubject);
    await this.speculation?.maybeOffer(h).catch((err: unknown) => this.o.log.warn('speculative copy not offered', { jobId: h.lease.jobId, error: err }));
    return { ok: true };
  }

  private async release(r: ReleaseRequestV1): Promise<WorkReplyV1> {
    const h = await this.store.held(r.leaseId, r.workerId);
    if (r.outcome === 'ack') {
      try {
        await this.acks.ack(h.lease.ackSubject);
      } catch (err) {
        throw new WorkRefusal('UNAVAILABLE', 'JetStream did not confirm the ack; the job may be delivered again', { cause: err });
      }
      // Kept, marked acked, until the bucket's TTL: result intake attributes the holder's result by it.
      await this.store.markAcked(h);
    } else {
      if (r.outcome === 'nak') this.acks.nak(h.lease.ackSubject, r.delayMs);
      else this.acks.term(h.lease.ackSubject, r.reason);
      await this.o.nc.flush();
      await this.store.remove(h);
    }
    await this.o.halves?.discard(h.lease.leaseId);
    this.metrics.released.inc({ outcome: r.outcome });
    return { ok: true };
  }
}
