import type { Redis } from 'ioredis';
import type { LedgerSnapshot } from '../../circuits/model/ledger-state.ts';
import type { ValidatedBatch, WireIntent } from '../api/validate-submit.ts';
import type { BatchStateName } from './batch-states.ts';
import { ACCEPT_PROOF, APPEND_EVENT, CREATE_BATCH } from './lua-scripts.ts';

/** A batch as stored. */
export interface BatchRecord {
  id: string;
  bankId: string;
  idempotencyKey: string;
  state: BatchStateName;
  transfers: number;
  verified: number;
  planVersion: number;
  rootBefore: string;
  rootAfter: string;
  settlementTx: string;
  block: number;
  errorCode: string;
  error: string;
  createdMs: number;
  updatedMs: number;
}

/** One status event of a batch. */
export interface BatchEventRecord {
  seq: number;
  state: BatchStateName;
  verified: number;
  transfers: number;
  message: string;
  settlementTx: string;
  block: number;
  errorCode: string;
  atMs: number;
  /** Redis stream id, to resume reading after it. */
  streamId: string;
}

/** The planned jobs of a batch (one transfer per job), as persisted. */
export interface StoredPlan {
  version: number;
  roots: string[];
  transfers: { index: number; input: Record<string, unknown>; publicSignals: string[] }[];
}

/** A verified proof of one transfer, as persisted. */
export interface StoredProof {
  index: number;
  jobId: string;
  workerId: string;
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

type RedisWithScripts = Redis & {
  drexCreate(...args: (string | number)[]): Promise<string[]>;
  drexEvent(...args: (string | number)[]): Promise<number>;
  drexAccept(...args: (string | number)[]): Promise<number>;
};

/** Field updates of a transition (values as strings or numbers). */
export type BatchFields = Partial<Record<keyof BatchRecord | 'error' | 'errorCode', string | number>>;

/**
 * Redis persistence of batches: records, intents, plans, proofs, status events (a Redis stream per
 * batch), the planning queue and the planner's ledger snapshots. Every transition is one atomic step.
 */
export class BatchStore {
  private readonly r: RedisWithScripts;

  constructor(
    redis: Redis,
    readonly prefix = 'drex:',
  ) {
    this.r = redis as RedisWithScripts;
    if (!('drexCreate' in redis)) {
      redis.defineCommand('drexCreate', { numberOfKeys: 5, lua: CREATE_BATCH });
      redis.defineCommand('drexEvent', { numberOfKeys: 2, lua: APPEND_EVENT });
      redis.defineCommand('drexAccept', { numberOfKeys: 3, lua: ACCEPT_PROOF });
    }
  }

  get redis(): Redis {
    return this.r;
  }

  key = {
    batch: (id: string) => `${this.prefix}batch:${id}`,
    intents: (id: string) => `${this.prefix}batch:${id}:intents`,
    events: (id: string) => `${this.prefix}batch:${id}:events`,
    plan: (id: string) => `${this.prefix}batch:${id}:plan`,
    proofs: (id: string) => `${this.prefix}batch:${id}:proofs`,
    attempts: (id: string) => `${this.prefix}batch:${id}:attempts`,
    after: (id: string) => `${this.prefix}batch:${id}:after`,
    usedIntents: () => `${this.prefix}used-intents`,
    pending: () => `${this.prefix}plan-queue`,
    open: () => `${this.prefix}open-batches`,
    ledgerFinal: () => `${this.prefix}ledger:final`,
  };

  /** Persists a validated batch and its ACCEPTED event, or reports why not (atomically). */
  async create(v: ValidatedBatch, now = Date.now()): Promise<CreateOutcome> {
    const k = this.key;
    const out = await this.r.drexCreate(
      k.batch(v.batchId),
      k.intents(v.batchId),
      k.usedIntents(),
      k.events(v.batchId),
      k.pending(),
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
    };
  }

  async intents(id: string): Promise<WireIntent[]> {
    const s = await this.r.get(this.key.intents(id));
    return s ? (JSON.parse(s) as WireIntent[]) : [];
  }

  /** Sets fields and appends a status event, atomically. */
  async transition(id: string, fields: BatchFields, message: string, errorCode = '', now = Date.now()): Promise<number> {
    const pairs = Object.entries(fields).flatMap(([f, v]) => [f, String(v)]);
    return this.r.drexEvent(this.key.batch(id), this.key.events(id), now, message, errorCode, ...pairs);
  }

  /** Records a verified proof; returns the verified count or a negative code (see ACCEPT_PROOF). */
  async acceptProof(id: string, planVersion: number, p: StoredProof, now = Date.now()): Promise<number> {
    return this.r.drexAccept(this.key.batch(id), this.key.events(id), this.key.proofs(id), now, planVersion, p.index, JSON.stringify(p));
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

  /** Current attempt of each job of a batch. */
  async attempt(id: string, index: number): Promise<number> {
    return Number((await this.r.hget(this.key.attempts(id), String(index))) ?? 1);
  }

  /** Events after the stream entry `afterStreamId` ('0': from the first). */
  async events(id: string, afterStreamId = '0'): Promise<BatchEventRecord[]> {
    const key = this.key.events(id);
    const res = [[key, await this.r.xrange(key, afterStreamId === '0' ? '-' : `(${afterStreamId}`, '+')]] as [string, [string, string[]][]][];
    if (!res) return [];
    return res.flatMap(([, entries]) =>
      entries.map(([streamId, kv]) => {
        const m = new Map<string, string>();
        for (let i = 0; i < kv.length; i += 2) m.set(kv[i]!, kv[i + 1]!);
        return {
          seq: Number(m.get('seq')),
          state: m.get('state') as BatchStateName,
          verified: Number(m.get('verified') ?? 0),
          transfers: Number(m.get('transfers') ?? 0),
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

  async ledgerFinal(): Promise<LedgerSnapshot | null> {
    const s = await this.r.get(this.key.ledgerFinal());
    return s ? (JSON.parse(s) as LedgerSnapshot) : null;
  }

  async afterSnapshot(id: string): Promise<LedgerSnapshot | null> {
    const s = await this.r.get(this.key.after(id));
    return s ? (JSON.parse(s) as LedgerSnapshot) : null;
  }

  /** Batch ids accepted and not yet planned, in order. */
  async pending(): Promise<string[]> {
    return this.r.lrange(this.key.pending(), 0, -1);
  }

  /** Batch ids planned and not yet final, in planning order. */
  async open(): Promise<string[]> {
    return this.r.lrange(this.key.open(), 0, -1);
  }
}
