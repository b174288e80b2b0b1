import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { Counter, type Registry } from 'prom-client';
import type { JobExpectationV1 } from '../../protocol/messages/job.ts';
import { gatewayShareObject, halfJobId, type HalfResultV1, type HeldHalfV1 } from '../../protocol/messages/half.ts';
import type { UnsignedVerdictV1 } from '../../protocol/messages/verdict.ts';
import { addMsmPoints, combineProof, decodeMsmPoints, MsmPointsError, type MsmPoints, type ProvingKey } from '../../prover/index.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import { signAsProducer } from '../../swarm/identity/signed-message.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { TransferExclusions } from './exclusions.ts';
import type { SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import type { HalfScalars } from '../../prover/share-codec.ts';
import { verifySingle } from '../batch-verify.ts';
import type { VerdictReason } from '../intake/intake-errors.ts';
import { NO_VERDICT, type Judgement } from '../intake/judgement.ts';
import type { Reputation } from '../intake/reputation.ts';
import type { VkeyCache } from '../intake/vkey-cache.ts';
import { HeldHalves, unsignedVerdicts, type SplitDecisionV1, type StoredDecision } from './held-halves.ts';
import type { ProvingKeyCache } from './proving-key-cache.ts';
import { HalfNotRecomputable, openHalfShare, RECOMPUTE_ORDER, recomputePoint, samePoint } from './recompute-points.ts';


export interface SplitCombinerOptions {
  /** Held halves and decisions (the halves KV bucket). */
  halves: KV;
  /** Sealed shares: the witness generator's originals, `share/<half job id>`. */
  shares: ObjectStore;
  provingKeys: ProvingKeyCache;
  vkeys: VkeyCache;
  /** The job gateway's seal key, which shares are sealed to: without it no half can be recomputed. */
  sealKey?: SealKeyPair;
  /** Transfers' excluded workers: a culprit is excluded from its transfer's later attempts. */
  exclusions?: TransferExclusions;
  /** The aggregator's identity: decisions keep their verdicts signed by it. */
  identity: Identity;
  reputation: Reputation;
  /** The intake's counters of rejected (by reason) and accepted results. */
  counters: { rejected: Counter<'reason'>; accepted: Counter };
  log: Logger;
  registry: Registry;
}

/** Verdicts reached on a proof attempt, and their effects (counters, reputation) once they are the decision. */
interface Outcome {
  verdicts: UnsignedVerdictV1[];
  apply(): void;
}

type HalfOutcome = 'held' | 'duplicate' | 'superseded' | 'decided' | 'malformed';

/**
 * Split proving's combiner: judges half results that intake attributed to the live member holding the
 * half job's current lease.
 *
 * A half whose points are not valid points is a wrong answer: a WRONG_HALF verdict on the proof attempt
 * (an invalid result in its reputation). A valid half is held (halves bucket, key = half job id; the first answer to a half
 * stays). When both halves of a proof attempt are held, their points are added and completed into a
 * proof with fresh randomness, which must verify (full checks) with exactly the public signals the
 * planner expected: then an accepted verdict naming both workers (a valid result each). When it does not, both
 * halves are recomputed from their original shares (sealed to the gateway's key), point by point until
 * one differs, and a half whose point differs names its worker: a WRONG_HALF verdict each (an invalid result); when
 * neither differs (the shares were wrong, or could not be read) a PROOF_INVALID verdict naming half 0's
 * worker, with no reputation change.
 *
 * Every outcome is recorded once as the attempt's decision (compare-and-set in the halves bucket) before
 * it takes effect, and the held halves are deleted then. A half that arrives once its attempt is decided
 * (a redelivery, a replay, another replica's race) re-publishes the decision's verdicts while they may
 * not have gone out yet and changes nothing else: so there is one decision per attempt, reputation moves
 * once per process, and the verdicts' message ids de-duplicate what is published twice.
 *
 * Within a process the halves of one attempt are judged one after the other; other attempts' halves and
 * whole results go on meanwhile (the intake judges several messages at once). Two replicas that both
 * hold both halves at once may both compute the outcome (a failed attempt's recomputation included);
 * only one decision is recorded.
 */
export class SplitCombiner {
  private readonly store: HeldHalves;
  private readonly combined: Counter;
  private readonly culprits: Counter;
  private readonly halvesJudged: Counter<'outcome'>;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly o: SplitCombinerOptions) {
    this.store = new HeldHalves(o.halves);
    this.combined = new Counter({ name: 'drex_split_combined_total', help: 'Proof attempts whose two halves combined into a proof that verifies', registers: [o.registry] });
    this.culprits = new Counter({ name: 'drex_split_culprits_total', help: 'Workers found to have answered a half wrongly when its combined proof failed', registers: [o.registry] });
    this.halvesJudged = new Counter({
      name: 'drex_split_halves_total',
      help: 'Attributed half results, by what became of them (held, duplicate, superseded: another answer to the half is held, decided: the attempt was decided already, malformed)',
      labelNames: ['outcome'],
      registers: [o.registry],
    });
  }

  /**
   * Judges a result for half `half` of proof attempt `exp` (its expectation), already attributed to the
   * holder of the half job's current lease. Throws only when a service (KV, object store) fails: retry then.
   */
  async judgeHalf(res: HalfResultV1, half: 0 | 1, exp: JobExpectationV1, now = Date.now()): Promise<Judgement> {
    return this.serially(exp.jobId, () => this.judgeNow(res, half, exp, now));
  }

  private async judgeNow(res: HalfResultV1, half: 0 | 1, exp: JobExpectationV1, now: number): Promise<Judgement> {
    const proofId = exp.jobId;
    const decided = await this.store.decision(proofId);
    if (decided) return this.again(decided, res);
    try {
      decodeMsmPoints(res.points);
    } catch (err) {
      if (!(err instanceof MsmPointsError)) throw err;
      await this.o.exclusions?.add(exp.jobId, res.workerId);
      return this.decide(exp, this.malformed(exp, res, half, err, now));
    }
    // Held under the half's own id, whether the original or its speculative copy answered: the first answer stays.
    const mine: HeldHalfV1 = { v: 1, jobId: halfJobId(proofId, half), workerId: res.workerId, leaseId: res.leaseId, points: res.points, msmMs: res.msmMs, startedMs: res.startedMs, finishedMs: res.finishedMs };
    const { held, fresh } = await this.store.hold(mine);
    if (!sameAnswer(held, mine)) {
      this.halvesJudged.inc({ outcome: 'superseded' });
      this.o.log.warn('another answer to this half is held: dropped', { jobId: res.jobId, worker: res.workerId, held: held.workerId });
      return NO_VERDICT;
    }
    this.halvesJudged.inc({ outcome: fresh ? 'held' : 'duplicate' });
    const [h0, h1] = await this.store.both(proofId);
    if (!h0 || !h1) return NO_VERDICT;
    return this.decide(exp, await this.combine(exp, h0, h1, now));
  }

  /** A half of an attempt decided already: its verdicts again while they may be unpublished, else nothing. */
  private again(stored: StoredDecision, res: HalfResultV1): Judgement {
    this.halvesJudged.inc({ outcome: 'decided' });
    if (stored.decision.published) {
      this.o.log.info('half of a decided proof attempt: dropped', { jobId: res.jobId, worker: res.workerId });
      return NO_VERDICT;
    }
    return { verdicts: unsignedVerdicts(stored.decision), published: () => this.store.markPublished(stored) };
  }

  /** Records `outcome` as the attempt's decision unless one came first; applies it and frees the held halves. */
  private async decide(exp: JobExpectationV1, outcome: Outcome): Promise<Judgement> {
    const decision: SplitDecisionV1 = {
      v: 1,
      proofId: exp.jobId,
      verdicts: outcome.verdicts.map((v) => signAsProducer(this.o.identity, v)),
      published: false,
      decidedMs: Date.now(),
    };
    const revision = await this.store.decide(decision);
    if (revision === null) {
      const first = await this.store.decision(exp.jobId);
      return first && !first.decision.published ? { verdicts: unsignedVerdicts(first.decision), published: () => this.store.markPublished(first) } : NO_VERDICT;
    }
    outcome.apply();
    await this.store.release(exp.jobId).catch((err: unknown) => this.o.log.warn('held halves not deleted (they expire with the bucket)', { proofId: exp.jobId, error: err }));
    // The attempt is decided (a re-issue splits afresh): its sealed shares (about 2 MB each) go now.
    for (const half of [0, 1] as const) {
      await this.o.shares.delete(gatewayShareObject(halfJobId(exp.jobId, half))).catch(() => this.o.log.warn('sealed share not deleted (it expires with the bucket)', { proofId: exp.jobId, half }));
    }
    const stored = { decision, revision };
    return { verdicts: outcome.verdicts, published: () => this.store.markPublished(stored) };
  }

  private malformed(exp: JobExpectationV1, res: HalfResultV1, half: 0 | 1, err: MsmPointsError, now: number): Outcome {
    const detail = `half ${half}'s points are not valid (${err.reason}): ${err.message}`;
    return {
      verdicts: [rejection(exp, res.workerId, 'WRONG_HALF', detail, now)],
      apply: () => {
        this.halvesJudged.inc({ outcome: 'malformed' });
        this.rejected(exp, res.workerId, 'WRONG_HALF', detail, true);
      },
    };
  }

  /** Adds both halves' points, completes the proof and checks it against the planner's public signals. */
  private async combine(exp: JobExpectationV1, h0: HeldHalfV1, h1: HeldHalfV1, now: number): Promise<Outcome> {
    const pk = await this.o.provingKeys.get(exp.artifact);
    const points: [MsmPoints, MsmPoints] = [decodeMsmPoints(h0.points), decodeMsmPoints(h1.points)];
    const { proof } = await combineProof(pk, addMsmPoints(points[0], points[1]), exp.publicSignals);
    const vkey = await this.o.vkeys.prepared(exp.artifact);
    if (!(await verifySingle(vkey, { proof, publicSignals: exp.publicSignals }))) return this.findCulprits(exp, pk, [h0, h1], points, now);
    const verdict: UnsignedVerdictV1 = {
      v: 1,
      accepted: true,
      jobId: exp.jobId,
      batchId: exp.batchId,
      index: exp.index,
      planVersion: exp.planVersion,
      workerId: h0.workerId,
      halfWorkers: [h0.workerId, h1.workerId],
      proof,
      publicSignals: [...exp.publicSignals],
      proveMs: Math.max(h0.msmMs, h1.msmMs),
      startedMs: Math.min(h0.startedMs, h1.startedMs),
      finishedMs: Math.max(h0.finishedMs, h1.finishedMs),
      enqueuedMs: exp.enqueuedMs,
      verifiedMs: now,
    };
    return {
      verdicts: [verdict],
      apply: () => {
        this.o.counters.accepted.inc();
        this.combined.inc();
        for (const h of [h0, h1]) this.o.reputation.observe(h.workerId, 'valid', h.msmMs);
        this.o.log.info('halves combined into a valid proof', { proofId: exp.jobId, workers: [h0.workerId, h1.workerId] });
      },
    };
  }

  /**
   * The combined proof failed: opens both halves' original shares and recomputes their points one MSM
   * at a time (RECOMPUTE_ORDER), each for both halves, until one differs from what a half's worker sent:
   * the halves that differ there are named. Every wrong half seen on that point is named; a half wrong
   * only on a later point than its sibling's is found on a later attempt (its sibling's worker is
   * excluded from the transfer then). Stopping at the first difference keeps the usual case to two MSMs.
   */
  private async findCulprits(exp: JobExpectationV1, pk: ProvingKey, held: [HeldHalfV1, HeldHalfV1], points: [MsmPoints, MsmPoints], now: number): Promise<Outcome> {
    const unknown: string[] = [];
    const shares: [HalfScalars | null, HalfScalars | null] = [null, null];
    const wrong: Array<0 | 1> = [];
    const t0 = performance.now();
    try {
      for (const half of [0, 1] as const) {
        if (!this.o.sealKey) {
          unknown.push('this aggregator has no seal key to open the shares with');
          break;
        }
        try {
          shares[half] = await openHalfShare({ shares: this.o.shares, sealKey: this.o.sealKey, pk }, halfJobId(exp.jobId, half));
        } catch (err) {
          if (!(err instanceof HalfNotRecomputable)) throw err;
          unknown.push(err.message);
        }
      }
      for (const which of RECOMPUTE_ORDER) {
        for (const half of [0, 1] as const) {
          const scalars = shares[half];
          if (scalars && !samePoint(await recomputePoint(pk, scalars, which), points[half][which])) wrong.push(half);
        }
        if (wrong.length > 0) {
          this.o.log.info('halves recomputed after a failed combination', { proofId: exp.jobId, wrong, point: which, ms: Math.round(performance.now() - t0) });
          break;
        }
      }
    } finally {
      for (const scalars of shares) {
        scalars?.witness.fill(0);
        scalars?.quotient.fill(0);
      }
    }
    if (wrong.length > 0) {
      const found = wrong.map((half) => ({ half, workerId: held[half].workerId, detail: `the combined proof does not verify; half ${half}'s points differ from its recomputation` }));
      for (const c of found) await this.o.exclusions?.add(exp.jobId, c.workerId);
      return {
        verdicts: found.map((c) => rejection(exp, c.workerId, 'WRONG_HALF', c.detail, now)),
        apply: () => {
          for (const c of found) {
            this.culprits.inc();
            this.rejected(exp, c.workerId, 'WRONG_HALF', c.detail, true);
          }
        },
      };
    }
    const detail = `the combined proof does not verify and ${unknown.length > 0 ? `the halves could not all be recomputed (${unknown.join('; ')})` : 'neither half differs from its recomputation'}`;
    return {
      verdicts: [rejection(exp, held[0].workerId, 'PROOF_INVALID', detail, now)],
      apply: () => {
        this.rejected(exp, held[0].workerId, 'PROOF_INVALID', detail, false);
        this.o.log.error('split proof invalid with no culprit found', { proofId: exp.jobId, detail, ms: Math.round(performance.now() - t0) });
      },
    };
  }

  /** Counts a rejection; `blamed`: the worker's own doing, an invalid result in its reputation. */
  private rejected(exp: JobExpectationV1, workerId: string, reason: VerdictReason, detail: string, blamed: boolean): void {
    this.o.counters.rejected.inc({ reason });
    if (blamed) this.o.reputation.observe(workerId, 'invalid');
    this.o.log.warn('result rejected', { jobId: exp.jobId, worker: workerId, reason, detail });
  }

  /** Runs `fn` after every earlier call for the same `key` in this process has settled. */
  private serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }
}

/** A rejecting verdict on proof attempt `exp` naming `workerId`. */
function rejection(exp: JobExpectationV1, workerId: string, reason: VerdictReason, detail: string, now: number): UnsignedVerdictV1 {
  return { v: 1, accepted: false, jobId: exp.jobId, batchId: exp.batchId, index: exp.index, planVersion: exp.planVersion, workerId, reason, detail, verifiedMs: now };
}

/** True when two held answers are the same answer (a redelivery or a replay of one result). */
function sameAnswer(a: HeldHalfV1, b: HeldHalfV1): boolean {
  return a.workerId === b.workerId && a.leaseId === b.leaseId && JSON.stringify(a.points) === JSON.stringify(b.points);
}
