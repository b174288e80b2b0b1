import { jetstream, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, Gauge, type Registry } from 'prom-client';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { jobExpectationV1, type JobExpectationV1 } from '../../protocol/messages/job.ts';
import type { ResultV1 } from '../../protocol/messages/result.ts';
import type { UnsignedVerdictV1 } from '../../protocol/messages/verdict.ts';
import { leaseKeyOfJob } from '../../protocol/messages/work.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import { verifySignature, type Identity } from '../../swarm/identity/ed25519.ts';
import { signAsProducer } from '../../swarm/identity/signed-message.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { LeaseStore } from '../gateway/lease-store.ts';
import { membershipProblem } from './member-check.ts';
import { verifySingle } from '../batch-verify.ts';
import type { VkeyCache } from './vkey-cache.ts';
import { DroppedResult, RefusedResult, type VerdictReason } from './intake-errors.ts';
import { parseResult } from './parse-result.ts';

export interface ResultIntakeOptions {
  nc: NatsConnection;
  names: NatsNames;
  jobs: KV;
  members: KV;
  /** The job gateway's leases: a result counts only from the holder of its job's current lease. */
  leases: KV;
  vkeys: VkeyCache;
  /** The aggregator's identity: it signs every verdict. */
  identity: Identity;
  log: Logger;
  registry: Registry;
}

/**
 * The aggregator's result intake. A result that cannot be attributed to a live worker answering the
 * job it names (malformed, unknown job, not signed by the worker it names, not a live member, not from
 * the holder of the job's current lease, batch or index not the job's) is dropped: counted by reason in
 * `drex_results_rejected_total`, logged, and no verdict, so it cannot touch the job.
 *
 * Lease ordering: a worker publishes its result before it acks, and the gateway keeps an acked lease
 * (marked acked) until the leases bucket's TTL, so the lease read here is the one the result was proved
 * under unless the job was delivered again meanwhile (the holder's ack wait ran out, or it nak'ed):
 * then the result is dropped and the new holder's counts. A result judged after its lease expired (intake
 * stalled past the TTL) is dropped too; its job left the queue, so housekeeping re-issues it. Either way
 * a late result can only delay a job, never decide it. A result of a live member is judged: accepted only if its public
 * signals are exactly those the planner expected and the proof verifies; otherwise a rejecting verdict on
 * `drex.verdicts.v1.<batch>` lowers the worker's reputation and makes the orchestrator re-issue the job.
 */
export class ResultIntake {
  private readonly js: JetStreamClient;
  private messages: ConsumerMessages | undefined;
  private running: Promise<void> | undefined;
  private readonly rejected: Counter<'reason'>;
  private readonly accepted: Counter;
  private readonly reputation: Gauge<'worker'>;
  private readonly scores = new Map<string, number>();
  private readonly leases: LeaseStore;

  constructor(private readonly o: ResultIntakeOptions) {
    this.js = jetstream(o.nc);
    this.leases = new LeaseStore(o.leases);
    this.rejected = new Counter({ name: 'drex_results_rejected_total', help: 'Worker results refused, by reason (dropped without a verdict, or rejected with one)', labelNames: ['reason'], registers: [o.registry] });
    this.accepted = new Counter({ name: 'drex_results_accepted_total', help: 'Worker results accepted', registers: [o.registry] });
    this.reputation = new Gauge({ name: 'drex_worker_reputation', help: 'Reputation score per worker (starts at 100)', labelNames: ['worker'], registers: [o.registry] });
  }

  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(this.o.names.resultsStream, this.o.names.intakeConsumer);
    this.messages = await consumer.consume({ max_messages: 64 });
    this.running = (async () => {
      for await (const m of this.messages!) {
        try {
          const verdict = await this.judge(m.data);
          if (verdict) {
            await this.js.publish(this.o.names.verdictSubject(verdict.batchId), JSON.stringify(signAsProducer(this.o.identity, verdict)), {
              msgID: `${verdict.jobId}:${verdict.workerId}:${verdict.accepted ? 'ok' : verdict.reason}`,
            });
          }
          m.ack();
        } catch (err) {
          this.o.log.error('result intake failed; will retry', { error: err });
          m.nak(1000);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.running;
  }

  /**
   * Judges one raw result: its verdict (to be signed), or null when it is dropped (counted and logged;
   * see the class comment). Throws only when a service (the KV buckets, the artifacts store) fails: retry then.
   */
  async judge(data: Uint8Array, now = Date.now()): Promise<UnsignedVerdictV1 | null> {
    let res: ResultV1;
    let exp: JobExpectationV1;
    try {
      res = parseResult(data);
      ({ exp } = await this.attribute(res, now));
    } catch (err) {
      if (!(err instanceof DroppedResult)) throw err;
      this.rejected.inc({ reason: err.reason });
      this.o.log.warn('result dropped', { reason: err.reason, detail: err.message, jobId: err.claimed.jobId, worker: err.claimed.workerId });
      return null;
    }
    try {
      const mismatch = exp.publicSignals.findIndex((s, i) => s !== res.publicSignals[i]);
      if (mismatch >= 0) throw new RefusedResult('WRONG_PUBLIC_SIGNALS', `public signal ${mismatch} differs from what the planner expected`);
      const vkey = await this.o.vkeys.prepared(exp.artifact);
      // Full checks (field ranges, on-curve, G2 subgroup), which snarkjs's verifier does not do.
      if (!(await verifySingle(vkey, { proof: res.proof, publicSignals: res.publicSignals }))) throw new RefusedResult('PROOF_INVALID', 'the proof does not verify');
    } catch (err) {
      if (!(err instanceof RefusedResult)) throw err;
      return this.reject(exp, res.workerId, err.reason, err.message, now);
    }
    this.accepted.inc();
    this.bump(res.workerId, +1);
    return {
      v: 1,
      accepted: true,
      jobId: res.jobId,
      batchId: res.batchId,
      index: res.index,
      planVersion: exp.planVersion,
      workerId: res.workerId,
      proof: res.proof,
      publicSignals: res.publicSignals,
      proveMs: res.proveMs,
      witnessMs: res.witnessMs,
      startedMs: res.startedMs,
      finishedMs: res.finishedMs,
      enqueuedMs: exp.enqueuedMs,
      verifiedMs: now,
    };
  }

  /**
   * The job a well-formed result answers, once the result is attributed to a live member answering it;
   * throws `DroppedResult` otherwise.
   */
  private async attribute(res: ResultV1, now: number): Promise<{ exp: JobExpectationV1 }> {
    const claimed = { jobId: res.jobId.slice(0, 100), workerId: res.workerId };
    const exp = await this.expectation(res.jobId);
    if (!exp) throw new DroppedResult('UNKNOWN_JOB', 'no such job', claimed);
    const { signature, ...unsigned } = res;
    if (!verifySignature(res.workerId, canonicalBytes(unsigned), signature)) throw new DroppedResult('BAD_SIGNATURE', 'the result is not signed by the worker it names', claimed);
    const notMember = await membershipProblem(this.o.members, res.workerId, now);
    if (notMember) throw new DroppedResult('NOT_A_MEMBER', notMember, claimed);
    const held = await this.leases.read(leaseKeyOfJob(res.jobId));
    if (!held || held.lease.leaseId !== res.leaseId || held.lease.workerId !== res.workerId) {
      // Also a slow holder whose job went to another worker: not necessarily malice, so no reputation change.
      throw new DroppedResult('NOT_LEASE_HOLDER', held ? 'the job\'s current lease is not this result\'s or not its worker\'s' : 'the job has no current lease', claimed);
    }
    if (res.batchId !== exp.batchId || res.index !== exp.index) {
      this.bump(res.workerId, -10); // signed by a live member: it is this worker's doing
      throw new DroppedResult('UNKNOWN_JOB', 'batch or index differ from the job it names', claimed);
    }
    return { exp };
  }

  private async expectation(jobId: string): Promise<JobExpectationV1 | null> {
    if (!/^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$/.test(jobId)) return null; // a valid KV key, else no such job
    const e = await this.o.jobs.get(jobId);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    const p = jobExpectationV1.safeParse(e.json());
    return p.success ? p.data : null;
  }

  /** A rejecting verdict on a live member's wrong answer to `exp`'s job. */
  private reject(exp: JobExpectationV1, workerId: string, reason: VerdictReason, detail: string, now: number): UnsignedVerdictV1 {
    this.rejected.inc({ reason });
    this.bump(workerId, -10);
    this.o.log.warn('result rejected', { jobId: exp.jobId, worker: workerId, reason, detail });
    return { v: 1, accepted: false, jobId: exp.jobId, batchId: exp.batchId, index: exp.index, planVersion: exp.planVersion, workerId, reason, detail, verifiedMs: now };
  }

  private bump(workerId: string, delta: number): void {
    const s = Math.max(0, Math.min(100, (this.scores.get(workerId) ?? 100) + delta));
    this.scores.set(workerId, s);
    this.reputation.set({ worker: workerId.slice(0, 16) }, s);
  }

  /** Reputation of a worker (100 = clean record). */
  reputationOf(workerId: string): number {
    return this.scores.get(workerId) ?? 100;
  }
}
