import type { Redis } from 'ioredis';
import type { LedgerSnapshot } from '../../circuits/model/ledger.ts';
import type { LedgerPointWire } from '../../protocol/ledger-point.ts';
import type { ValidatedBatch, WireIntent } from '../api/validate-submit.ts';
import { BATCH_STATES, type BatchStateName } from './batch-states.ts';
import { ACCEPT_PROOF, CREATE_BATCH, FAIL, FAIL_AND_MARK_REPLAN, FENCED_WRITE, FINALIZE_HEADS, INDEX_BATCH, PRUNE_BATCH, RECORD_PLAN, REPROVE, SET_FIELDS, STATE_INDEX_KEYS } from './lua-scripts.ts';
import { indexMember, LIST_SCAN_BUDGET, type BatchListQuery, type BatchListPage } from './batch-index.ts';
import { applyDelta, emptySnapshot, type LedgerDelta } from './ledger-delta.ts';
import { FencedOffError, LedgerDeltaMissingError } from './errors.ts';
import { decodeTransition, TRANSITIONS, type AcceptProofResult, type TransitionName, type TransitionResult } from './batch-transitions.ts';
import type { GrantAttestationV1 } from '../../protocol/messages/work.ts';

/** A batch as stored. */
export interface BatchRecord {
  id: string;
  bankId: string;
  idempotencyKey: string;
  state: BatchStateName;
  transfers: number;
  /** Proofs its plan needs (0 before planning). */
  proofs: number;
  /** Proofs verified of them. */
  verified: number;
  planVersion: number;
  /** The note-tree roots it starts from and ends at, once planned. */
  rootBefore: string;
  rootAfter: string;
  settlementTx: string;
  block: number;
  errorCode: string;
  error: string;
  createdMs: number;
  updatedMs: number;
  /** The settlement's aggregation root (from the chain's record), once SETTLED. */
  aggregationRoot: string;
  /** When it became SETTLED (0: not settled). */
  settledMs: number;
  /** When its data was pruned down to this audit record (0: not pruned). */
  prunedMs: number;
}

/**
 * The fields a pruned batch keeps (its audit record, in its hash): who, what state, the roots, the
 * settlement, when; `requestHash` keeps a retried submission with the same idempotency key a duplicate.
 */
export const AUDIT_FIELDS = [
  'id', 'bankId', 'idempotencyKey', 'requestHash', 'state', 'transfers', 'proofs', 'verified', 'rootBefore', 'rootAfter',
  'aggregationRoot', 'settlementTx', 'block', 'settledMs', 'errorCode', 'error', 'createdMs', 'updatedMs', 'eventSeq',
] as const;

/** What pruning one batch did: pruned now, or why not. */
export type PruneResult = 'pruned' | 'already' | 'missing' | 'not-final' | 'open' | 'too-young';

/** One status event of a batch. */
export interface BatchEventRecord {
  seq: number;
  state: BatchStateName;
  verified: number;
  transfers: number;
  /** Proofs the plan needs (0 before planning). */
  proofs: number;
  message: string;
  settlementTx: string;
  block: number;
  errorCode: string;
  atMs: number;
  /** Redis stream id, to resume reading after it. */
  streamId: string;
}

/** One planned proof (one job) of a batch: its circuit input, public signals and the intents it carries. */
export interface StoredProofPlan {
  index: number;
  input: Record<string, unknown>;
  publicSignals: string[];
  /** Indices of the batch's intents it proves, in slot order. */
  transfers: number[];
}

/** The plan of a batch, as persisted: its proofs and the ledger points between them. */
export interface StoredPlan {
  version: number;
  /** Before the first proof, then after each proof (proofs + 1 points). */
  points: LedgerPointWire[];
  proofs: StoredProofPlan[];
}

/** A verified proof of one transfer, as persisted. */
export interface StoredProof {
  index: number;
  jobId: string;
  workerId: string;
  /** Split proving: the workers of half 0 and half 1 (the verdict names them). */
  halfWorkers?: [string, string];
  /** A whole job proved by an attested TEE worker: its attestation when the job was granted. */
  attestation?: GrantAttestationV1;
  proof: unknown;
  publicSignals: string[];
  proveMs: number;
  witnessMs?: number;
  /** When the job was published, taken by a worker, finished, and its result verified (epoch ms). */
  enqueuedMs?: number;
  startedMs?: number;
  finishedMs?: number;
  verifiedMs?: number;
}

export type CreateOutcome =
  | { kind: 'created'; batchId: string }
  | { kind: 'duplicate'; batchId: string; state: BatchStateName }
  | { kind: 'conflict'; batchId: string }
  | { kind: 'nonce-used'; batchId: string; index: number };

type Script = (...args: (string | number)[]) => Promise<(string | number)[]>;
type RedisWithScripts = Redis & {
  drexCreate: Script;
  drexSetFields: Script;
  drexRecordPlan: Script;
  drexFail: Script;
  drexFailAndMarkReplan: Script;
  drexAcceptProof: Script;
  drexReprove: Script;
  drexFinalizeHeads: Script;
  drexPrune: Script;
  drexFencedWrite: Script;
  drexIndexBatch: Script;
};

/**
 * The durable record of a failure's re-planning: the batches that followed the failed one on the open
 * list, with the plan version each had then. A batch whose version is higher has been re-planned.
 */
export interface ReplanMarker {
  failed: string;
  later: { id: string; version: number }[];
}

/** Where a job attempt stands: the attempt in flight, when it was published and its stream sequence. */
export interface JobAttempt {
  attempt: number;
  enqueuedMs: number;
  /** The jobs stream's sequence number of this attempt's message, once its publication was confirmed. */
  seq?: number;
}

/** Reads a batch's status events as they are appended (a connection of its own: it blocks). */
export interface EventWatcher {
  /** Events after stream entry `afterStreamId`, waiting up to `blockMs` for one when there are none yet. */
  next(afterStreamId: string, blockMs: number): Promise<BatchEventRecord[]>;
  close(): void;
}

/**
 * The one owner of batch state in Redis: records, intents, plans, proofs, job attempts, status events
 * (a Redis stream per batch), the planning queue, the open list and the planner's ledger snapshots.
 * Nothing else reads or writes these keys. Every transition is one named method: an atomic
 * compare-and-set on (state, plan version) against the transition table (batch-transitions.ts) that
 * writes its fields and appends its status event in the same step, and answers a typed result.
 */
export class BatchStore {
  private readonly r: RedisWithScripts;

  constructor(
    redis: Redis,
    readonly prefix = 'drex:',
  ) {
    this.r = redis as RedisWithScripts;
    if (!('drexCreate' in redis)) {
      redis.defineCommand('drexCreate', { numberOfKeys: 8, lua: CREATE_BATCH });
      redis.defineCommand('drexSetFields', { numberOfKeys: 3 + STATE_INDEX_KEYS, lua: SET_FIELDS });
      redis.defineCommand('drexRecordPlan', { numberOfKeys: 9 + STATE_INDEX_KEYS, lua: RECORD_PLAN });
      redis.defineCommand('drexFail', { numberOfKeys: 8 + STATE_INDEX_KEYS, lua: FAIL });
      redis.defineCommand('drexFailAndMarkReplan', { numberOfKeys: 9 + STATE_INDEX_KEYS, lua: FAIL_AND_MARK_REPLAN });
      redis.defineCommand('drexAcceptProof', { numberOfKeys: 4 + STATE_INDEX_KEYS, lua: ACCEPT_PROOF });
      redis.defineCommand('drexReprove', { numberOfKeys: 4 + STATE_INDEX_KEYS, lua: REPROVE });
      redis.defineCommand('drexIndexBatch', { numberOfKeys: 4 + STATE_INDEX_KEYS, lua: INDEX_BATCH });
      redis.defineCommand('drexFinalizeHeads', { lua: FINALIZE_HEADS }); // key count first: it varies
      redis.defineCommand('drexPrune', { numberOfKeys: 12, lua: PRUNE_BATCH });
      redis.defineCommand('drexFencedWrite', { numberOfKeys: 2, lua: FENCED_WRITE });
    }
  }

  private readonly key = {
    batch: (id: string) => `${this.prefix}batch:${id}`,
    intents: (id: string) => `${this.prefix}batch:${id}:intents`,
    events: (id: string) => `${this.prefix}batch:${id}:events`,
    plan: (id: string) => `${this.prefix}batch:${id}:plan`,
    proofs: (id: string) => `${this.prefix}batch:${id}:proofs`,
    attempts: (id: string) => `${this.prefix}batch:${id}:attempts`,
    delta: (id: string) => `${this.prefix}batch:${id}:delta`,
    /** Cleared with a batch's data: a full ledger snapshot per batch, written by older versions. */
    after: (id: string) => `${this.prefix}batch:${id}:after`,
    usedIntents: () => `${this.prefix}used-intents`,
    pending: () => `${this.prefix}plan-queue`,
    open: () => `${this.prefix}open-batches`,
    ledgerFinal: () => `${this.prefix}ledger:final:v2`,
    /** Batches final and off the open list, scored by when (what pruning looks at). */
    finished: () => `${this.prefix}final-batches`,
    replan: () => `${this.prefix}replan`,
    fence: () => `${this.prefix}leader:epoch`,
    /** The listing index (lexicographic sorted sets of `indexMember` entries): every batch, by bank, by state. */
    indexAll: () => `${this.prefix}index:all`,
    indexBank: (bankId: string) => `${this.prefix}index:bank:${bankId}`,
    indexState: (state: BatchStateName) => `${this.prefix}index:state:${state}`,
  };

  /**
   * The keys every transition script ends with: the per-state listing indexes (the script moves the
   * batch between them when its state changes), then the fencing key.
   */
  private fenceTail(): string[] {
    return [...BATCH_STATES.map((s) => this.key.indexState(s)), this.key.fence()];
  }

  /** Told of every transition this store applied that made a batch VERIFIED, SETTLED or FAILED. */
  private finishWatchers: ((id: string, state: 'VERIFIED' | 'SETTLED' | 'FAILED') => void)[] = [];

  /** Calls `fn` after each transition this store applies that makes a batch VERIFIED, SETTLED or FAILED (metrics). */
  onFinish(fn: (id: string, state: 'VERIFIED' | 'SETTLED' | 'FAILED') => void): void {
    this.finishWatchers.push(fn);
  }

  private finished<R extends { ok: boolean }>(id: string, state: 'VERIFIED' | 'SETTLED' | 'FAILED', r: R): R {
    if (r.ok) for (const fn of this.finishWatchers) fn(id, state);
    return r;
  }

  /** The fencing token of the lease this store writes under ('' : none; see lua-scripts.ts). */
  private fenceToken = '';

  /** Writes from now on carry this leader's fencing token (from `LeaderLease`); stale tokens are refused. */
  setFencingToken(token: string): void {
    this.fenceToken = token;
  }

  /** The key that holds the current leader's fencing token (the lease's epoch counter). */
  get fencingKey(): string {
    return this.key.fence();
  }

  /** One plain write under the fence. */
  private async fencedWrite(key: string, command: 'HSET' | 'HINCRBY' | 'DEL' | 'LREM' | 'ZADD', ...args: (string | number)[]): Promise<string | number> {
    const out = await this.r.drexFencedWrite(key, this.key.fence(), this.fenceToken, command, ...args);
    if (out[0] === 'FENCED') throw new FencedOffError();
    return out[1]!;
  }

  /** Persists a validated batch and its ACCEPTED event, or reports why not (atomically). */
  async create(v: ValidatedBatch, now = Date.now()): Promise<CreateOutcome> {
    const k = this.key;
    const out = await this.r.drexCreate(
      k.batch(v.batchId),
      k.intents(v.batchId),
      k.usedIntents(),
      k.events(v.batchId),
      k.pending(),
      k.indexAll(),
      k.indexBank(v.bankId),
      k.indexState('ACCEPTED'),
      v.batchId,
      v.bankId,
      v.idempotencyKey,
      v.requestHash,
      v.intents.length,
      JSON.stringify(v.intents),
      now,
      ...v.intentNullifiers,
    );
    switch (out[0]) {
      case 'OK':
        return { kind: 'created', batchId: v.batchId };
      case 'DUP':
        return { kind: 'duplicate', batchId: v.batchId, state: out[1] as BatchStateName };
      case 'CONFLICT':
        return { kind: 'conflict', batchId: v.batchId };
      default:
        return { kind: 'nonce-used', batchId: v.batchId, index: Number(out[1]) };
    }
  }

  async get(id: string): Promise<BatchRecord | null> {
    const h = await this.r.hgetall(this.key.batch(id));
    if (!h.id) return null;
    return {
      id: h.id,
      bankId: h.bankId ?? '',
      idempotencyKey: h.idempotencyKey ?? '',
      state: (h.state ?? 'ACCEPTED') as BatchStateName,
      transfers: Number(h.transfers ?? 0),
      proofs: Number(h.proofs ?? 0),
      verified: Number(h.verified ?? 0),
      planVersion: Number(h.planVersion ?? 0),
      rootBefore: h.rootBefore ?? '',
      rootAfter: h.rootAfter ?? '',
      settlementTx: h.settlementTx ?? '',
      block: Number(h.block ?? 0),
      errorCode: h.errorCode ?? '',
      error: h.error ?? '',
      createdMs: Number(h.createdMs ?? 0),
      updatedMs: Number(h.updatedMs ?? 0),
      aggregationRoot: h.aggregationRoot ?? '',
      settledMs: Number(h.settledMs ?? 0),
      prunedMs: Number(h.prunedMs ?? 0),
    };
  }

  async intents(id: string): Promise<WireIntent[]> {
    const s = await this.r.get(this.key.intents(id));
    return s ? (JSON.parse(s) as WireIntent[]) : [];
  }

  /** The compare-and-set arguments every transition script starts with. */
  private cas(id: string, t: TransitionName, planVersion: number | undefined, message: string, errorCode = '', now = Date.now()) {
    return {
      keys: [this.key.batch(id), this.key.events(id)],
      argv: [now, TRANSITIONS[t].from.join(','), planVersion === undefined ? '' : planVersion, message, errorCode, this.fenceToken],
    };
  }

  private async setFields(id: string, t: TransitionName, planVersion: number | undefined, message: string, fields: Record<string, string | number>): Promise<TransitionResult> {
    const k = this.key;
    const c = this.cas(id, t, planVersion, message);
    const to = TRANSITIONS[t].to;
    const pairs = Object.entries({ ...(to ? { state: to } : {}), ...fields }).flatMap(([f, v]) => [f, String(v)]);
    return decodeTransition(await this.r.drexSetFields(...c.keys, ...this.fenceTail(), ...c.argv, ...pairs)) as TransitionResult;
  }

  /**
   * ACCEPTED -> PLANNED (or, with `replan`, a planned batch planned again after an earlier one failed):
   * stores the plan and its ledger delta (what it did to the planner's state), clears proofs and attempts
   * of an older plan. `plan.version` must be the current version + 1.
   */
  async recordPlan(id: string, p: { plan: StoredPlan; delta: LedgerDelta; replan: boolean; message: string }): Promise<TransitionResult> {
    const k = this.key;
    const c = this.cas(id, p.replan ? 'replan' : 'plan', p.plan.version - 1, p.message);
    const out = await this.r.drexRecordPlan(
      ...c.keys, k.plan(id), k.delta(id), k.proofs(id), k.attempts(id), k.open(), k.pending(), ...this.fenceTail(),
      ...c.argv, JSON.stringify(p.plan), JSON.stringify(p.delta), p.replan ? '1' : '0', p.plan.version, p.plan.points[0]!.noteRoot, p.plan.points.at(-1)!.noteRoot, p.plan.proofs.length,
    );
    return decodeTransition(out) as TransitionResult;
  }

  /** PLANNED -> PROVING once its jobs are published. */
  markProving(id: string, planVersion: number, jobs: number): Promise<TransitionResult> {
    return this.setFields(id, 'dispatch', planVersion, `dispatched ${jobs} proving jobs`, {});
  }

  /**
   * A planned batch -> FAILED, and, in the same step, the record of the re-planning this starts for the
   * batches that follow it on the open list (`later`, which must be exactly those, in order). Refused
   * while an earlier re-planning is unfinished (resume that first).
   */
  async failAndMarkReplan(
    id: string,
    f: { code: string; message: string; intentNullifiers: readonly string[]; planVersion?: number; later: ReplanMarker['later'] },
  ): Promise<TransitionResult> {
    const k = this.key;
    const c = this.cas(id, 'fail', f.planVersion, f.message, f.code);
    const marker: ReplanMarker = { failed: id, later: f.later };
    const out = await this.r.drexFailAndMarkReplan(
      ...c.keys, k.usedIntents(), k.open(), k.pending(), k.delta(id), k.finished(), k.replan(), ...this.fenceTail(),
      ...c.argv, f.code, f.message, JSON.stringify(marker), f.later.length, ...f.later.map((l) => l.id), ...f.intentNullifiers,
    );
    return this.finished(id, 'FAILED', decodeTransition(out) as TransitionResult);
  }

  /** The unfinished re-planning, if any. */
  async replanMarker(): Promise<ReplanMarker | null> {
    const s = await this.r.get(this.key.replan());
    return s ? (JSON.parse(s) as ReplanMarker) : null;
  }

  /** Clears the re-planning record of `failed` once every batch it lists is re-planned (or final). */
  async clearReplanMarker(failed: string): Promise<void> {
    const m = await this.replanMarker();
    if (m?.failed === failed) await this.fencedWrite(this.key.replan(), 'DEL');
  }

  /** Records a verified proof once; the last one makes the batch VERIFIED. */
  async acceptProof(id: string, planVersion: number, p: StoredProof, now = Date.now()): Promise<AcceptProofResult> {
    const c = this.cas(id, 'acceptProof', planVersion, `transfer ${p.index} proved and verified`, '', now);
    const out = await this.r.drexAcceptProof(...c.keys, this.key.proofs(id), ...this.fenceTail(), ...c.argv, p.index, JSON.stringify(p));
    const r = decodeTransition(out);
    if (!r.ok) return r;
    const complete = Number(out[3]) === 1;
    if (complete) this.finished(id, 'VERIFIED', r);
    return { ok: true, seq: r.seq, verified: Number(out[2]), complete };
  }

  /** A status event for a job published again (the batch stays PROVING). */
  noteReissue(id: string, planVersion: number, index: number, attempt: number, reason: string): Promise<TransitionResult> {
    return this.setFields(id, 'reissue', planVersion, `transfer ${index}: job re-issued (attempt ${attempt}, ${reason})`, {});
  }

  /** VERIFIED -> PROVING: drops the proofs batch verification refused, to be proved again. */
  async reprove(id: string, planVersion: number, badIndices: readonly number[]): Promise<TransitionResult> {
    const c = this.cas(id, 'reprove', planVersion, `batch verification refused proofs ${badIndices.join(', ')}: proving them again`);
    return decodeTransition(await this.r.drexReprove(...c.keys, this.key.proofs(id), ...this.fenceTail(), ...c.argv, ...badIndices)) as TransitionResult;
  }

  /** A status event: the verified batch was handed to settlement. */
  noteHandedOver(id: string, planVersion: number): Promise<TransitionResult> {
    return this.setFields(id, 'handOver', planVersion, 'handed to settlement', {});
  }

  /** VERIFIED -> SETTLED with the transaction and block that hold it (and its aggregation root). */
  async markSettled(id: string, planVersion: number, s: { txHash: string; block: number; message: string; aggregationRoot?: string }, now = Date.now()): Promise<TransitionResult> {
    const r = await this.setFields(id, 'settle', planVersion, s.message, { settlementTx: s.txHash, block: s.block, settledMs: now, ...(s.aggregationRoot ? { aggregationRoot: s.aggregationRoot } : {}) });
    return this.finished(id, 'SETTLED', r);
  }

  /**
   * -> FAILED (from ACCEPTED with `planningRefused`, else from a planned state; `planVersion` limits it
   * to one plan): gives the batch's intent nullifiers back and takes it off the queues.
   */
  async fail(
    id: string,
    f: { eventCode: string; code: string; message: string; intentNullifiers: readonly string[]; planVersion?: number; planningRefused?: boolean },
  ): Promise<TransitionResult> {
    const k = this.key;
    const c = this.cas(id, f.planningRefused ? 'refusePlanning' : 'fail', f.planVersion, f.message, f.eventCode);
    const out = await this.r.drexFail(...c.keys, k.usedIntents(), k.open(), k.pending(), k.delta(id), k.finished(), ...this.fenceTail(), ...c.argv, f.code, f.message, ...f.intentNullifiers);
    return this.finished(id, 'FAILED', decodeTransition(out) as TransitionResult);
  }

  async proofs(id: string): Promise<StoredProof[]> {
    const h = await this.r.hgetall(this.key.proofs(id));
    return Object.values(h)
      .map((s) => JSON.parse(s) as StoredProof)
      .sort((a, b) => a.index - b.index);
  }

  async plan(id: string): Promise<StoredPlan | null> {
    const s = await this.r.get(this.key.plan(id));
    return s ? (JSON.parse(s) as StoredPlan) : null;
  }

  /** Current attempt of a job of a batch (1 before its first publication). */
  async attempt(id: string, index: number): Promise<number> {
    return Number((await this.r.hget(this.key.attempts(id), String(index))) ?? 1);
  }

  /** Every job's current attempt and publication time, by transfer index. */
  async attempts(id: string): Promise<Map<number, JobAttempt>> {
    const h = await this.r.hgetall(this.key.attempts(id));
    const out = new Map<number, JobAttempt>();
    for (const [f, v] of Object.entries(h)) {
      if (!/^\d+$/.test(f)) continue;
      const attempt = Number(v);
      const [seqAttempt, seq] = (h[`${f}:seq`] ?? '').split(':').map(Number);
      out.set(Number(f), { attempt, enqueuedMs: Number(h[`${f}:enqueuedMs`] ?? 0), ...(seqAttempt === attempt && seq ? { seq } : {}) });
    }
    return out;
  }

  /** Records the attempt now published for a job and when. */
  async recordAttempt(id: string, index: number, attempt: number, now = Date.now()): Promise<void> {
    await this.fencedWrite(this.key.attempts(id), 'HSET', String(index), attempt, `${index}:enqueuedMs`, now);
  }

  /** Records the jobs-stream sequence number of a published attempt (to tell a queued job from a lost one). */
  async recordJobSeq(id: string, index: number, attempt: number, seq: number): Promise<void> {
    await this.fencedWrite(this.key.attempts(id), 'HSET', `${index}:seq`, `${attempt}:${seq}`);
  }

  /** Claims the next attempt number of a job (every published attempt was recorded first). */
  async nextAttempt(id: string, index: number): Promise<number> {
    return Number(await this.fencedWrite(this.key.attempts(id), 'HINCRBY', String(index), 1));
  }

  /** Whether transfer `index` of the batch has a verified proof. */
  async hasProof(id: string, index: number): Promise<boolean> {
    return (await this.r.hexists(this.key.proofs(id), String(index))) === 1;
  }

  /** Events after the stream entry `afterStreamId` ('0': from the first). */
  async events(id: string, afterStreamId = '0'): Promise<BatchEventRecord[]> {
    const key = this.key.events(id);
    const res = [[key, await this.r.xrange(key, afterStreamId === '0' ? '-' : `(${afterStreamId}`, '+')]] as [string, [string, string[]][]][];
    if (res[0]![1].length === 0 && afterStreamId === '0') return this.prunedEvents(id);
    return res.flatMap(([, entries]) =>
      entries.map(([streamId, kv]) => {
        const m = new Map<string, string>();
        for (let i = 0; i < kv.length; i += 2) m.set(kv[i]!, kv[i + 1]!);
        return {
          seq: Number(m.get('seq')),
          state: m.get('state') as BatchStateName,
          verified: Number(m.get('verified') ?? 0),
          transfers: Number(m.get('transfers') ?? 0),
          proofs: Number(m.get('proofs') ?? 0),
          message: m.get('message') ?? '',
          settlementTx: m.get('settlementTx') ?? '',
          block: Number(m.get('block') ?? 0),
          errorCode: m.get('errorCode') ?? '',
          atMs: Number(m.get('at') ?? 0),
          streamId,
        };
      }),
    );
  }

  /** A pruned batch's events are gone: its audit record answers as one final event. */
  private async prunedEvents(id: string): Promise<BatchEventRecord[]> {
    const b = await this.get(id);
    if (!b?.prunedMs) return [];
    const h = await this.r.hget(this.key.batch(id), 'eventSeq');
    const message = b.state === 'SETTLED' ? `settled (tx ${b.settlementTx}); history pruned` : `${b.state.toLowerCase()}; history pruned`;
    return [
      { seq: Number(h ?? 1), state: b.state, verified: b.verified, transfers: b.transfers, proofs: b.proofs, message, settlementTx: b.settlementTx, block: b.block, errorCode: b.errorCode, atMs: b.updatedMs, streamId: '0-1' },
    ];
  }

  /** The ledger state after the last final batch (null: the empty ledger). */
  async ledgerFinal(): Promise<LedgerSnapshot | null> {
    const s = await this.r.get(this.key.ledgerFinal());
    return s ? (JSON.parse(s) as LedgerSnapshot) : null;
  }

  /** What planning an open batch did to the ledger state (null: none stored). */
  async ledgerDelta(id: string): Promise<LedgerDelta | null> {
    const s = await this.r.get(this.key.delta(id));
    return s ? (JSON.parse(s) as LedgerDelta) : null;
  }

  /**
   * The ledger state after each of the first open batches in turn: the final snapshot with their deltas
   * applied in planning order. `upTo` stops before that batch; omitted, it runs to the tip. Throws
   * `LedgerDeltaMissingError` for an open batch without one, `LedgerDeltaMismatchError` for a delta that
   * does not follow the state before it.
   */
  async ledgerAfterOpen(o: { depth: number; nullDepth: number; upTo?: string; open?: readonly string[] }): Promise<{ snapshot: LedgerSnapshot; last?: LedgerDelta }> {
    const snapshot = (await this.ledgerFinal()) ?? emptySnapshot(o.depth, o.nullDepth);
    let last: LedgerDelta | undefined;
    for (const id of o.open ?? (await this.open())) {
      if (id === o.upTo) break;
      const d = await this.ledgerDelta(id);
      if (!d) throw new LedgerDeltaMissingError(id);
      applyDelta(snapshot, d, id);
      last = d;
    }
    return { snapshot, ...(last ? { last } : {}) };
  }

  /** Batch ids accepted and not yet planned, in order. */
  async pending(): Promise<string[]> {
    return this.r.lrange(this.key.pending(), 0, -1);
  }

  /** The next batch to plan, if any. */
  async nextPending(): Promise<string | null> {
    return this.r.lindex(this.key.pending(), 0);
  }

  /** Takes a batch off the planning queue (planned before a restart, or gone). */
  async dropPending(id: string): Promise<void> {
    await this.fencedWrite(this.key.pending(), 'LREM', 0, id);
  }

  /**
   * Moves the final ledger snapshot forward over every batch at the head of the open list whose state
   * is one of `doneStates` (their deltas applied to it, in one atomic step that also pops them); returns
   * the batches it moved over. `shape`: the depths of an empty ledger.
   */
  async finalizeHead(doneStates: readonly string[], shape: { depth: number; nullDepth: number }): Promise<string[]> {
    const k = this.key;
    for (;;) {
      const open = await this.open();
      const heads: string[] = [];
      for (const id of open) {
        const st = await this.r.hget(k.batch(id), 'state');
        if (st !== null && !doneStates.includes(st)) break;
        heads.push(id);
      }
      if (heads.length === 0) return [];
      let snap = (await this.ledgerFinal()) ?? emptySnapshot(shape.depth, shape.nullDepth);
      let moved = false;
      for (const id of heads) {
        const d = await this.ledgerDelta(id);
        if (!d) continue; // nothing recorded for it: the final state stays
        snap = applyDelta(snap, d, id);
        moved = true;
      }
      const final = moved ? JSON.stringify(snap) : '';
      const keys = [k.open(), k.ledgerFinal(), k.finished(), ...heads.flatMap((id) => [k.batch(id), k.delta(id), k.after(id)]), k.fence()];
      const n = Number(await this.r.drexFinalizeHeads(keys.length, ...keys, this.fenceToken, doneStates.join(','), final, Date.now(), ...heads));
      if (n === -1) throw new FencedOffError();
      if (n === heads.length) return heads;
      // The list or a state changed between reading and writing: look again.
    }
  }

  /** Batches final (and off the open list) since `cutoffMs` or earlier, oldest first, at most `limit`. */
  async finishedBefore(cutoffMs: number, limit: number): Promise<string[]> {
    return this.r.zrangebyscore(this.key.finished(), '-inf', cutoffMs, 'LIMIT', 0, limit);
  }

  /**
   * Prunes a batch final since `cutoffMs` or earlier down to its audit record (AUDIT_FIELDS): its
   * intents, events, plan, proofs, attempts and ledger data go, in one atomic step. Refused for a batch
   * not in `finalStates`, still open or queued, or final after the cutoff; idempotent.
   */
  async prune(id: string, finalStates: readonly string[], cutoffMs: number, now = Date.now()): Promise<PruneResult> {
    const k = this.key;
    const out = await this.r.drexPrune(
      k.batch(id), k.intents(id), k.events(id), k.plan(id), k.proofs(id), k.attempts(id), k.delta(id), k.after(id), k.finished(), k.open(), k.pending(), k.fence(),
      this.fenceToken, id, finalStates.join(','), cutoffMs, now, ...AUDIT_FIELDS,
    );
    switch (out[0]) {
      case 'OK':
        return 'pruned';
      case 'PRUNED':
        return 'already';
      case 'MISSING':
        return 'missing';
      case 'STATE':
        return 'not-final';
      case 'OPEN':
        return 'open';
      case 'YOUNG':
        return 'too-young';
      case 'FENCED':
        throw new FencedOffError();
      default:
        throw new Error(`unexpected answer from the prune script: ${JSON.stringify(out)}`);
    }
  }

  /**
   * Lists final batches that older versions left off the final-batches set (they kept everything), so
   * that pruning finds them: one SCAN over batch hashes; returns how many it listed.
   */
  async listUnlistedFinal(finalStates: readonly string[]): Promise<number> {
    const k = this.key;
    const open = new Set([...(await this.open()), ...(await this.pending())]);
    const pattern = `${this.prefix}batch:*`;
    let cursor = '0';
    let listed = 0;
    do {
      const [next, keys] = await this.r.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const id = key.slice(`${this.prefix}batch:`.length);
        if (id.includes(':') || open.has(id)) continue;
        const [state, updatedMs, prunedMs] = await this.r.hmget(key, 'state', 'updatedMs', 'prunedMs');
        if (!state || prunedMs || !finalStates.includes(state)) continue;
        if ((await this.r.zscore(k.finished(), id)) !== null) continue;
        await this.fencedWrite(k.finished(), 'ZADD', 'NX', Number(updatedMs ?? 0), id);
        listed++;
      }
    } while (cursor !== '0');
    return listed;
  }

  /** Follows a batch's status events on a connection of its own. */
  watchEvents(id: string): EventWatcher {
    const conn = this.r.duplicate();
    const key = this.key.events(id);
    return {
      next: async (after, blockMs) => {
        const now = await this.events(id, after);
        if (now.length > 0) return now;
        await conn.xread('BLOCK', blockMs, 'STREAMS', key, after === '0' ? '0-0' : after);
        return this.events(id, after);
      },
      close: () => conn.disconnect(),
    };
  }

  /**
   * Blocks on `conn` (a connection of the caller's, which may serve many watchers) until the event
   * stream of one of the batches has an entry after its cursor ('0': any), or `blockMs` passes; answers
   * the ids of the batches that have one.
   */
  async waitForEvents(conn: Redis, cursors: ReadonlyMap<string, string>, blockMs: number): Promise<string[]> {
    const ids = [...cursors.keys()];
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.key.events(id));
    const after = ids.map((id) => (cursors.get(id) === '0' ? '0-0' : cursors.get(id)!));
    const out = (await conn.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', ...keys, ...after)) as [string, unknown[]][] | null;
    const idOf = new Map(keys.map((k, i) => [k, ids[i]!]));
    return (out ?? []).map(([key]) => idOf.get(key)!).filter((id) => id !== undefined);
  }

  /**
   * A page of batch records, newest first (creation time, then id), from the listing index: the state's
   * index when `state` is given, else the bank's, else every batch's; the other filter is applied to
   * the records. An entry whose record says otherwise (or is gone) is skipped.
   */
  async list(q: BatchListQuery): Promise<BatchListPage<BatchRecord>> {
    const k = this.key;
    const key = q.state ? k.indexState(q.state) : q.bankId !== undefined ? k.indexBank(q.bankId) : k.indexAll();
    const items: BatchRecord[] = [];
    let after = q.after;
    let scanned = 0;
    for (;;) {
      const chunk = Math.min(Math.max(q.limit - items.length, 16), 200);
      const members = await this.r.zrange(key, after === undefined ? '+' : `(${after}`, '-', 'BYLEX', 'REV', 'LIMIT', 0, chunk);
      if (members.length === 0) return { items };
      const records = await Promise.all(members.map((m) => this.get(m.slice(17))));
      for (let i = 0; i < members.length; i++) {
        after = members[i]!;
        scanned++;
        const r = records[i];
        if (!r || (q.state && r.state !== q.state) || (q.bankId !== undefined && r.bankId !== q.bankId)) continue;
        items.push(r);
        if (items.length === q.limit) {
          const more = await this.r.zrange(key, `(${after}`, '-', 'BYLEX', 'REV', 'LIMIT', 0, 1);
          return more.length > 0 ? { items, next: after } : { items };
        }
      }
      if (members.length < chunk) return { items };
      if (scanned >= LIST_SCAN_BUDGET) return { items, next: after };
    }
  }

  /**
   * Lists in the listing index every batch record that is not in it (written before the index existed):
   * one SCAN over batch hashes; returns how many it listed. Each is listed by a fenced script that reads
   * the record's state in the same step, so a transition meanwhile cannot leave it in the wrong state's index.
   */
  async indexUnlisted(): Promise<number> {
    const k = this.key;
    let cursor = '0';
    let listed = 0;
    do {
      const [next, keys] = await this.r.scan(cursor, 'MATCH', `${this.prefix}batch:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const id = key.slice(`${this.prefix}batch:`.length);
        if (id.includes(':')) continue;
        const [bankId, createdMs] = await this.r.hmget(key, 'bankId', 'createdMs');
        if (bankId === null || bankId === undefined) continue;
        if ((await this.r.zscore(k.indexAll(), indexMember(Number(createdMs ?? 0), id))) !== null) continue;
        const out = await this.r.drexIndexBatch(key, k.indexAll(), k.indexBank(bankId), ...this.fenceTail(), this.fenceToken, bankId);
        if (out[0] === 'FENCED') throw new FencedOffError();
        if (out[0] === 'OK') listed++;
      }
    } while (cursor !== '0');
    return listed;
  }

  /** Batch ids planned and not yet final, in planning order. */
  async open(): Promise<string[]> {
    return this.r.lrange(this.key.open(), 0, -1);
  }
}
