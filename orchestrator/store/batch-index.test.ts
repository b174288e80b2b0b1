import { beforeEach, describe, expect, it } from 'vitest';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import type { ValidatedBatch } from '../api/validate-submit.ts';
import { BatchStore, type StoredPlan } from './batch-store.ts';
import { indexMember, parseIndexMember } from './batch-index.ts';

const redisClient = useRedisServer();
let store: BatchStore;
let n = 0;

beforeEach(() => {
  store = new BatchStore(redisClient(), `ix${++n}:`);
});

const batch = (id: string, bankId: string): ValidatedBatch => ({
  batchId: id,
  bankId,
  idempotencyKey: `key-${id}`,
  requestHash: `hash-${id}`,
  intents: [{} as ValidatedBatch['intents'][number]],
  intentNullifiers: [`${id}-n`],
});
const plan = (): StoredPlan => ({ version: 1, points: [{ noteRoot: '1', noteIndex: 0, nullRoot: '2' }, { noteRoot: '3', noteIndex: 2, nullRoot: '4' }], proofs: [{ index: 0, input: {}, publicSignals: [], transfers: [0] }] });
const delta = () => ({ depth: 4, nullDepth: 5, sizeBefore: 0, keysBefore: 0, noteRootBefore: 'a', noteRootAfter: 'b', nullRootAfter: 'c', leaves: [], keys: [], added: [], removed: [] });

/** Creates `id` at `ms` and walks it to `to`. */
async function make(id: string, bankId: string, ms: number, to: 'ACCEPTED' | 'PROVING' | 'VERIFIED' | 'SETTLED' | 'FAILED'): Promise<void> {
  expect((await store.create(batch(id, bankId), ms)).kind).toBe('created');
  if (to === 'ACCEPTED') return;
  if (to === 'FAILED') {
    expect((await store.fail(id, { eventCode: 'PLANNING_FAILED', code: 'PLANNING_FAILED', message: 'refused', intentNullifiers: [], planningRefused: true })).ok).toBe(true);
    return;
  }
  expect((await store.recordPlan(id, { plan: plan(), delta: delta(), replan: false, message: 'planned' })).ok).toBe(true);
  expect((await store.markProving(id, 1, 1)).ok).toBe(true);
  if (to === 'PROVING') return;
  expect((await store.acceptProof(id, 1, { index: 0, jobId: 'j', workerId: 'w', proof: {}, publicSignals: [], proveMs: 1 })).ok).toBe(true);
  if (to === 'VERIFIED') return;
  expect((await store.markSettled(id, 1, { txHash: '0xabc', block: 3, message: 'settled' })).ok).toBe(true);
}

const ids = (p: { items: { id: string }[] }) => p.items.map((r) => r.id);

describe('the batch listing index', () => {
  beforeEach(async () => {
    await make('a1', 'bank-a', 1_000, 'SETTLED');
    await make('b1', 'bank-b', 2_000, 'PROVING');
    await make('a2', 'bank-a', 3_000, 'FAILED');
    await make('a3', 'bank-a', 3_000, 'VERIFIED'); // same ms as a2: ordered by id
    await make('b2', 'bank-b', 4_000, 'ACCEPTED');
  });

  it('lists every batch newest first, ties by id, with records as stored', async () => {
    const all = await store.list({ limit: 10 });
    expect(ids(all)).toEqual(['b2', 'a3', 'a2', 'b1', 'a1']);
    expect(all.next).toBeUndefined();
    expect(all.items.map((r) => r.state)).toEqual(['ACCEPTED', 'VERIFIED', 'FAILED', 'PROVING', 'SETTLED']);
  });

  it('pages with a cursor: each page continues where the last ended, the last has no next', async () => {
    const p1 = await store.list({ limit: 2 });
    expect(ids(p1)).toEqual(['b2', 'a3']);
    expect(parseIndexMember(p1.next!)).toEqual({ createdMs: 3_000, id: 'a3' });
    const p2 = await store.list({ limit: 2, after: p1.next });
    expect(ids(p2)).toEqual(['a2', 'b1']);
    const p3 = await store.list({ limit: 2, after: p2.next });
    expect(ids(p3)).toEqual(['a1']);
    expect(p3.next).toBeUndefined();
    // Exactly `limit` left: no empty page after it.
    expect((await store.list({ limit: 3, after: p1.next })).next).toBeUndefined();
  });

  it('filters by state and by bank, and by both; a batch moves between state indexes with its transitions', async () => {
    expect(ids(await store.list({ limit: 10, state: 'SETTLED' }))).toEqual(['a1']);
    expect(ids(await store.list({ limit: 10, state: 'PROVING' }))).toEqual(['b1']);
    expect(ids(await store.list({ limit: 10, state: 'PLANNED' }))).toEqual([]);
    expect(ids(await store.list({ limit: 10, bankId: 'bank-a' }))).toEqual(['a3', 'a2', 'a1']);
    expect(ids(await store.list({ limit: 10, bankId: 'bank-a', state: 'FAILED' }))).toEqual(['a2']);
    expect(ids(await store.list({ limit: 10, bankId: 'nobody' }))).toEqual([]);
    // b1: PROVING -> VERIFIED -> SETTLED; each index holds it only in its current state.
    expect((await store.acceptProof('b1', 1, { index: 0, jobId: 'j', workerId: 'w', proof: {}, publicSignals: [], proveMs: 1 })).ok).toBe(true);
    expect(ids(await store.list({ limit: 10, state: 'PROVING' }))).toEqual([]);
    expect(ids(await store.list({ limit: 10, state: 'VERIFIED' }))).toEqual(['a3', 'b1']);
    await store.markSettled('b1', 1, { txHash: '0xdef', block: 4, message: 'settled' });
    expect(ids(await store.list({ limit: 10, state: 'SETTLED' }))).toEqual(['b1', 'a1']);
    expect(ids(await store.list({ limit: 10, state: 'VERIFIED' }))).toEqual(['a3']);
  });

  it('keeps pruned batches listed as their audit records', async () => {
    expect(await store.finalizeHead(['SETTLED'], { depth: 4, nullDepth: 5 })).toEqual(['a1']);
    expect(await store.prune('a1', ['SETTLED', 'FAILED'], Date.now() + 1)).toBe('pruned');
    const [a1] = (await store.list({ limit: 1, state: 'SETTLED' })).items;
    expect(a1).toMatchObject({ id: 'a1', state: 'SETTLED', settlementTx: '0xabc' });
    expect(a1!.prunedMs).toBeGreaterThan(0);
  });

  it('lists records written before the index existed, each in its current state, once', async () => {
    const r = redisClient();
    const prefix = store.prefix;
    for (const key of await r.keys(`${prefix}index:*`)) await r.del(key);
    expect(ids(await store.list({ limit: 10 }))).toEqual([]);
    expect(await store.indexUnlisted()).toBe(5);
    expect(await store.indexUnlisted()).toBe(0);
    expect(ids(await store.list({ limit: 10 }))).toEqual(['b2', 'a3', 'a2', 'b1', 'a1']);
    expect(ids(await store.list({ limit: 10, state: 'VERIFIED' }))).toEqual(['a3']);
    expect(ids(await store.list({ limit: 10, bankId: 'bank-b' }))).toEqual(['b2', 'b1']);
    expect(await r.zrange(`${prefix}index:state:ACCEPTED`, '0', '-1')).toEqual([indexMember(4_000, 'b2')]);
  });
});
