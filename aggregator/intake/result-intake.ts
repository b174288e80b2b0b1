import { jetstream, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, Gauge, type Registry } from 'prom-client';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { jobExpectationV1 } from '../../protocol/messages/job.ts';
import { resultV1, type ResultV1 } from '../../protocol/messages/result.ts';
import type { RejectionReason, VerdictV1 } from '../../protocol/messages/verdict.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import { verifySignature } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { membershipProblem } from './member-check.ts';
import { verifySingle } from '../batch-verify.ts';
import type { VkeyCache } from './vkey-cache.ts';
import { DrexError } from '../../protocol/errors.ts';

export interface ResultIntakeOptions {
  nc: NatsConnection;
  names: NatsNames;
  jobs: KV;
  members: KV;
  vkeys: VkeyCache;
  log: Logger;
  registry: Registry;
}

/** A refusal with its reason, for the verdict. */
class Refusal extends DrexError {
  override name = 'Refusal';
  readonly code = 'RESULT_REFUSED';
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The aggregator's result intake: each worker result is accepted only if it is well-formed, signed by
 * its worker, the worker is a live member, the job is known, its public signals are exactly those the
 * planner expected, and the proof verifies. Every result gets a verdict on `drex.verdicts.v1.<batch>`;
 * a rejected one lowers the worker's reputation and makes the orchestrator re-issue the job.
 */
export class ResultIntake {
  private readonly js: JetStreamClient;
  private messages: ConsumerMessages | undefined;
  private running: Promise<void> | undefined;
  private readonly rejected: Counter<'reason'>;
  private readonly accepted: Counter;
  private readonly reputation: Gauge<'worker'>;
  private readonly scores = new Map<string, number>();

  constructor(private readonly o: ResultIntakeOptions) {
    this.js = jetstream(o.nc);
    this.rejected = new Counter({ name: 'drex_results_rejected_total', help: 'Worker results refused, by reason', labelNames: ['reason'], registers: [o.registry] });
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
            await this.js.publish(this.o.names.verdictSubject(verdict.batchId), JSON.stringify(verdict), {
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

  /** Judges one raw result. Returns null when it cannot even be attributed to a job. */
  async judge(data: Uint8Array, now = Date.now()): Promise<VerdictV1 | null> {
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      this.rejected.inc({ reason: 'MALFORMED' });
      this.o.log.warn('result refused: not JSON');
      return null;
    }
    const parsed = resultV1.safeParse(raw);
    if (!parsed.success) {
      this.rejected.inc({ reason: 'MALFORMED' });
      const r = raw as Partial<ResultV1>;
      const detail = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      this.o.log.warn('result refused: malformed', { jobId: r?.jobId, detail });
      const exp = typeof r?.jobId === 'string' ? await this.expectation(r.jobId).catch(() => null) : null;
      if (!exp) return null;
      return this.reject(exp, String(r.workerId ?? ''), 'MALFORMED', detail, now);
    }
    const res = parsed.data;
    const exp = await this.expectation(res.jobId);
    if (!exp) {
      this.rejected.inc({ reason: 'UNKNOWN_JOB' });
      this.o.log.warn('result refused: unknown job', { jobId: res.jobId, worker: res.workerId });
      return null;
    }
    try {
      const { signature, ...unsigned } = res;
      if (!verifySignature(res.workerId, canonicalBytes(unsigned), signature)) throw new Refusal('BAD_SIGNATURE', 'the result is not signed by the worker it names');
      const notMember = await membershipProblem(this.o.members, res.workerId, now);
      if (notMember) throw new Refusal('NOT_A_MEMBER', notMember);
      if (res.batchId !== exp.batchId || res.index !== exp.index) throw new Refusal('UNKNOWN_JOB', 'batch or index differ from the job');
      const mismatch = exp.publicSignals.findIndex((s, i) => s !== res.publicSignals[i]);
      if (mismatch >= 0) throw new Refusal('WRONG_PUBLIC_SIGNALS', `public signal ${mismatch} differs from what the planner expected`);
      const vkey = await this.o.vkeys.prepared(exp.artifact);
      // Full checks (field ranges, on-curve, G2 subgroup), which snarkjs's verifier does not do.
      if (!(await verifySingle(vkey, { proof: res.proof, publicSignals: res.publicSignals }))) throw new Refusal('PROOF_INVALID', 'the proof does not verify');
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
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

  private async expectation(jobId: string) {
    if (!/^[-/_=.a-zA-Z0-9]+$/.test(jobId)) return null;
    const e = await this.o.jobs.get(jobId);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    const p = jobExpectationV1.safeParse(e.json());
    return p.success ? p.data : null;
  }

  private reject(exp: { jobId: string; batchId: string; index: number; planVersion: number }, workerId: string, reason: RejectionReason, detail: string, now: number): VerdictV1 {
    this.rejected.inc({ reason });
    if (/^[0-9a-f]{64}$/.test(workerId)) this.bump(workerId, -10);
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
