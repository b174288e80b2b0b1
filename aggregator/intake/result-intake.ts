import { jetstream, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, type Registry } from 'prom-client';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { gatewayShareObject, splitHalfJobId, type HalfResultV1 } from '../../protocol/messages/half.ts';
import { jobExpectationV1, type JobExpectationV1 } from '../../protocol/messages/job.ts';
import type { ResultV1 } from '../../protocol/messages/result.ts';
import type { UnsignedVerdictV1 } from '../../protocol/messages/verdict.ts';
import { leaseKeyOfJob, type GrantAttestationV1, type LeaseV1 } from '../../protocol/messages/work.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import { verifySignature, type Identity } from '../../swarm/identity/ed25519.ts';
import { signAsProducer } from '../../swarm/identity/signed-message.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { LeaseStore } from '../gateway/lease-store.ts';
import { SplitCombiner } from '../split/half-combiner.ts';
import type { ProvingKeyCache } from '../split/proving-key-cache.ts';
import { membershipProblem, type MemberSource } from './member-check.ts';
import { verifySingle } from '../batch-verify.ts';
import type { VkeyCache } from './vkey-cache.ts';
import { DroppedResult, RefusedResult, type VerdictReason } from './intake-errors.ts';
import { NO_VERDICT, type Judgement } from './judgement.ts';
import { parseResult } from './parse-result.ts';
import { Reputation, type ReputationReplica } from './reputation.ts';

export interface ResultIntakeOptions {
  nc: NatsConnection;
  names: NatsNames;
  jobs: KV;
  /** The membership replica: results count only from live members; reputation observations go into it. */
  members: MemberSource & ReputationReplica;
  /** Where this aggregator's observations go (default: one over `members`, signed with `identity`). */
  reputation?: Reputation;
  /** The job gateway's leases: a result counts only from the holder of its job's current lease. */
  leases: KV;
  vkeys: VkeyCache;
  /** The aggregator's identity: it signs every verdict. */
  identity: Identity;
  log: Logger;
  registry: Registry;
  /** Split proving's combiner state; none: half results are dropped (UNKNOWN_JOB). */
  split?: {
    /** Held halves and decisions. */
    halves: KV;
    /** Sealed shares (the witness generator's originals are read to recompute a half). */
    shares: ObjectStore;
    provingKeys: ProvingKeyCache;
    /** The job gateway's seal key; none: a failed combination cannot name a culprit. */
    sealKey?: SealKeyPair;
  };
}

/** Results judged at once; a judgement that waits (a recomputed half) holds up only its own message. */
const MAX_IN_FLIGHT = 16;
/** How often a message still being judged is marked in progress (the intake consumer's ack wait is 30 s). */
const WORKING_INTERVAL_MS = 10_000;

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
 *
 * Half results (split proving, `kind: 'half'`) are attributed the same way: their job is a half job
 * `<proofId>.h<0|1>`, whose lease they must hold, and whose expectation is the proof attempt's (jobs KV,
 * under the proof id). Attributed halves go to the split combiner (aggregator/split/half-combiner.ts),
 * which gives verdicts on the proof attempt. Messages are judged several at once (up to 16), each acked
 * when its verdicts are published, so a slow judgement (a failed combination's recomputed halves,
 * seconds) does not hold up the others.
 */
export class ResultIntake {
  private readonly js: JetStreamClient;
  private messages: ConsumerMessages | undefined;
  private running: Promise<void> | undefined;
  private readonly rejected: Counter<'reason'>;
  private readonly accepted: Counter;
  private readonly reputation: Reputation;
  private readonly leases: LeaseStore;
  private readonly combiner: SplitCombiner | undefined;

  constructor(private readonly o: ResultIntakeOptions) {
    this.js = jetstream(o.nc);
    this.leases = new LeaseStore(o.leases);
    this.rejected = new Counter({ name: 'drex_results_rejected_total', help: 'Worker results refused, by reason (dropped without a verdict, or rejected with one)', labelNames: ['reason'], registers: [o.registry] });
    this.accepted = new Counter({ name: 'drex_results_accepted_total', help: 'Worker results accepted (a split proof counts once)', registers: [o.registry] });
    this.reputation = o.reputation ?? new Reputation({ replica: o.members, identity: o.identity, registry: o.registry, log: o.log });
    this.combiner = o.split
      ? new SplitCombiner({
          ...o.split,
          vkeys: o.vkeys,
          identity: o.identity,
          reputation: this.reputation,
          counters: { rejected: this.rejected, accepted: this.accepted },
          log: o.log.child({ part: 'combiner' }),
          registry: o.registry,
        })
      : undefined;
  }

  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(this.o.names.resultsStream, this.o.names.intakeConsumer);
    this.messages = await consumer.consume({ max_messages: 64 });
    this.running = (async () => {
      const inFlight = new Set<Promise<void>>();
      for await (const m of this.messages!) {
        const task: Promise<void> = this.process(m).finally(() => inFlight.delete(task));
        inFlight.add(task);
        if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.running;
  }

  /** Judges one message and publishes its verdicts, then acks it; naks it when a service failed. */
  private async process(m: JsMsg): Promise<void> {
    const working = setInterval(() => m.working(), WORKING_INTERVAL_MS);
    try {
      await this.handle(m.data);
      m.ack();
    } catch (err) {
      this.o.log.error('result intake failed; will retry', { error: err });
      m.nak(1000);
    } finally {
      clearInterval(working);
    }
  }

  /**
   * Judges one raw result and publishes its verdicts, signed, on `drex.<d>.verdicts.v1.<batch>` (message
   * id `<job>:<worker>:<ok|reason>`, so a verdict published twice is stored once); answers them.
   */
  async handle(data: Uint8Array, now = Date.now()): Promise<UnsignedVerdictV1[]> {
    const j = await this.judgeResult(data, now);
    for (const verdict of j.verdicts) {
      await this.js.publish(this.o.names.verdictSubject(verdict.batchId), JSON.stringify(signAsProducer(this.o.identity, verdict)), {
        msgID: `${verdict.jobId}:${verdict.workerId}:${verdict.accepted ? 'ok' : verdict.reason}`,
      });
    }
    await j.published?.();
    return j.verdicts;
  }

  /**
   * Judges one raw whole result: its verdict (to be signed), or null when it is dropped (counted and
   * logged; see the class comment). Throws only when a service (the KV buckets, the artifacts store)
   * fails: retry then. For a half result, the first verdict its judgement gave (see `judgeResult`).
   */
  async judge(data: Uint8Array, now = Date.now()): Promise<UnsignedVerdictV1 | null> {
    return (await this.judgeResult(data, now)).verdicts[0] ?? null;
  }

  /**
   * Judges one raw result of either kind. A half's judgement may decide its proof attempt: its
   * `published` must then be called once the verdicts are published (`handle` does).
   */
  async judgeResult(data: Uint8Array, now = Date.now()): Promise<Judgement> {
    try {
      const parsed = parseResult(data);
      if (parsed.kind === 'half') {
        const res = parsed.result;
        const claimed = { jobId: res.jobId.slice(0, 100), workerId: res.workerId };
        if (!this.combiner) throw new DroppedResult('UNKNOWN_JOB', 'this aggregator does not combine halves', claimed);
        const split = splitHalfJobId(res.jobId);
        if (!split) throw new DroppedResult('UNKNOWN_JOB', 'not a half job id', claimed);
        const { exp } = await this.attribute(res, split.proofId, now);
        return await this.combiner.judgeHalf(res, split.half, exp, now);
      }
      const res = parsed.result;
      const { exp, lease } = await this.attribute(res, res.jobId, now);
      return { verdicts: [await this.judgeWhole(res, exp, now, lease.attestation)] };
    } catch (err) {
      if (!(err instanceof DroppedResult)) throw err;
      this.rejected.inc({ reason: err.reason });
      this.o.log.warn('result dropped', { reason: err.reason, detail: err.message, jobId: err.claimed.jobId, worker: err.claimed.workerId });
      return NO_VERDICT;
    }
  }

  /** The verdict on a whole proof attributed to a live member answering `exp`'s job. */
  private async judgeWhole(res: ResultV1, exp: JobExpectationV1, now: number, attestation?: GrantAttestationV1): Promise<UnsignedVerdictV1> {
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
    this.reputation.observe(res.workerId, 'valid', Math.max(0, res.finishedMs - res.startedMs));
    // A proved whole job's sealed inputs are no longer needed.
    await this.o.split?.shares.delete(gatewayShareObject(res.jobId)).catch(() => {});
    return {
      v: 1,
      accepted: true,
      jobId: res.jobId,
      batchId: res.batchId,
      index: res.index,
      planVersion: exp.planVersion,
      workerId: res.workerId,
      ...(attestation ? { attestation } : {}),
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
   * The expectation (under `expectationId`: the job's id, or a half's proof attempt) that a
   * well-formed result answers, once the result is attributed to a live member holding its job's
   * current lease (returned with it); throws `DroppedResult` otherwise.
   */
  private async attribute(res: ResultV1 | HalfResultV1, expectationId: string, now: number): Promise<{ exp: JobExpectationV1; lease: LeaseV1 }> {
    const claimed = { jobId: res.jobId.slice(0, 100), workerId: res.workerId };
    const exp = await this.expectation(expectationId);
    if (!exp) throw new DroppedResult('UNKNOWN_JOB', 'no such job', claimed);
    const { signature, ...unsigned } = res;
    if (!verifySignature(res.workerId, canonicalBytes(unsigned), signature)) throw new DroppedResult('BAD_SIGNATURE', 'the result is not signed by the worker it names', claimed);
    const notMember = membershipProblem(this.o.members, res.workerId);
    if (notMember) throw new DroppedResult('NOT_A_MEMBER', notMember, claimed);
    const held = await this.leases.read(leaseKeyOfJob(res.jobId));
    if (!held || held.lease.leaseId !== res.leaseId || held.lease.workerId !== res.workerId) {
      // Also a slow holder whose job went to another worker: not necessarily malice, so no reputation change.
      throw new DroppedResult('NOT_LEASE_HOLDER', held ? 'the job\'s current lease is not this result\'s or not its worker\'s' : 'the job has no current lease', claimed);
    }
    if (res.batchId !== exp.batchId || res.index !== exp.index) {
      this.reputation.observe(res.workerId, 'invalid'); // signed by a live member: it is this worker's doing
      throw new DroppedResult('UNKNOWN_JOB', 'batch or index differ from the job it names', claimed);
    }
    return { exp, lease: held.lease };
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
    this.reputation.observe(workerId, 'invalid');
    this.o.log.warn('result rejected', { jobId: exp.jobId, worker: workerId, reason, detail });
    return { v: 1, accepted: false, jobId: exp.jobId, batchId: exp.batchId, index: exp.index, planVersion: exp.planVersion, workerId, reason, detail, verifiedMs: now };
  }

  /** Reputation of a worker (100 = clean record). */
  reputationOf(workerId: string): number {
    return this.reputation.of(workerId);
  }
}
