import { beforeEach, describe, expect, it } from 'vitest';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import type { LedgerSnapshot } from '../../circuits/model/ledger.ts';
import type { LedgerDelta } from './ledger-delta.ts';
import type { ValidatedBatch } from '../api/validate-submit.ts';
import { BatchStore, type StoredPlan, type StoredProof } from './batch-store.ts';

const redisClient = useRedisServer();
let store: BatchStore;
let n = 0;

beforeEach(() => {
  // a fresh namespace per test
  store = new BatchStore(redisClient(), `t${++n}:`);
});

const batch = (id: string, transfers = 2, nullifiers = [`${id}-n1`, `${id}-n2`]): ValidatedBatch => ({
  batchId: id,
  bankId: 'bank-a',
  idempotencyKey: `key-${id}`,
  requestHash: `hash-${id}`,
  intents: Array.from({ length: transfers }, () => ({}) as ValidatedBatch['intents'][number]),
  intentNullifiers: nullifiers.slice(0, transfers),
});
/** The depths of the ledgers here. */
const SHAPE = { depth: 4, nullDepth: 5 };
/**
 * A delta appending one leaf `tag` to a tree of `sizeBefore` leaves and two nullifier-set keys (a spent
 * note's and an intent's) to a set of `keysBefore` keys.
 */
const delta = (tag: string, sizeBefore = 0, keysBefore = 2 * sizeBefore): LedgerDelta => ({
  ...SHAPE,
  sizeBefore,
  keysBefore,
  noteRootBefore: `r${sizeBefore}`,
  noteRootAfter: `r${sizeBefore + 1}`,
  nullRootAfter: `n${keysBefore + 2}`,
  leaves: [tag],
  keys: [`nf-${tag}`, `in-${tag}`],
  added: [{ owner: '1', amount: '5', asset: '9', salt: tag, index: sizeBefore, commitment: tag }],
  removed: [],
});
/** A plan of `proofs` proofs, proof i carrying transfer i (k = 1) unless `transfersOf` says otherwise. */
const plan = (version: number, proofs = 2, transfersOf = (i: number) => [i]): StoredPlan => ({
  version,
  points: Array.from({ length: proofs + 1 }, (_, i) => ({ noteRoot: `${version}0${i}`, noteIndex: 2 * i, nullRoot: `${version}1${i}` })),
  proofs: Array.from({ length: proofs }, (_, index) => ({ index, input: {}, publicSignals: [], transfers: transfersOf(index) })),
});
const proof = (index: number): StoredProof => ({ index, jobId: `j${index}`, workerId: 'w', proof: {}, publicSignals: [], proveMs: 1 });

/** A batch created, planned (version 1, one proof per transfer) and dispatched. */
async function proving(id: string, transfers = 2, sizeBefore = 0): Promise<void> {
  expect((await store.create(batch(id, transfers))).kind).toBe('created');
  expect((await store.recordPlan(id, { plan: plan(1, transfers), delta: delta(id, sizeBefore), replan: false, message: 'planned' })).ok).toBe(true);
  expect((await store.markProving(id, 1, transfers)).ok).toBe(true);
}

describe('BatchStore transitions', () => {
  it('creates a batch once: a retry is a duplicate, other content under the same id a conflict, a used intent refused', async () => {
    expect(await store.create(batch('b1'))).toEqual({ kind: 'created', batchId: 'b1' });
    expect(await store.create(batch('b1'))).toEqual({ kind: 'duplicate', batchId: 'b1', state: 'ACCEPTED' });
    expect(await store.create({ ...batch('b1'), requestHash: 'other' })).toEqual({ kind: 'conflict', batchId: 'b1' });
    expect(await store.create(batch('b2', 2, ['x', 'b1-n2']))).toEqual({ kind: 'nonce-used', batchId: 'b2', index: 1 });
    expect(await store.pending()).toEqual(['b1']);
  });

  it('plans ACCEPTED -> PLANNED once, moving it from the planning queue to the open list', async () => {
    await store.create(batch('b1'));
    const first = await store.recordPlan('b1', { plan: plan(1), delta: delta('a'), replan: false, message: 'planned' });
    expect(first).toEqual({ ok: true, seq: 2 });
    expect(await store.pending()).toEqual([]);
    expect(await store.open()).toEqual(['b1']);
    const rec = await store.get('b1');
    expect(rec).toMatchObject({ state: 'PLANNED', planVersion: 1, transfers: 2, proofs: 2, rootBefore: '100', rootAfter: '102' });
    expect(await store.plan('b1')).toEqual(plan(1));
    expect(await store.ledgerDelta('b1')).toEqual(delta('a'));
    // planning it again is refused: it is no longer ACCEPTED
    expect(await store.recordPlan('b1', { plan: plan(1), delta: delta('a'), replan: false, message: 'again' })).toEqual({ ok: false, refused: 'state', state: 'PLANNED', planVersion: 1 });
    expect(await store.recordPlan('nope', { plan: plan(1), delta: delta('a'), replan: false, message: 'x' })).toEqual({ ok: false, refused: 'missing' });
  });

  it('re-plans only on top of the current version, and drops the old plan\'s proofs', async () => {
    await proving('b1');
    expect((await store.acceptProof('b1', 1, proof(0))).ok).toBe(true);
    expect((await store.recordPlan('b1', { plan: plan(2), delta: delta('b'), replan: true, message: 're-planned' })).ok).toBe(true);
    expect(await store.proofs('b1')).toEqual([]);
    expect(await store.get('b1')).toMatchObject({ state: 'PLANNED', planVersion: 2, verified: 0 });
    // a stale re-plan (computed on version 1) is refused
    expect(await store.recordPlan('b1', { plan: plan(2), delta: delta('c'), replan: true, message: 'stale' })).toMatchObject({ ok: false, refused: 'version', planVersion: 2 });
    expect(await store.open()).toEqual(['b1']);
  });

  it('records each proof once and makes the batch VERIFIED with the last one; typed refusals otherwise', async () => {
    await proving('b1');
    expect(await store.acceptProof('b1', 2, proof(0))).toMatchObject({ ok: false, refused: 'version' });
    expect(await store.acceptProof('b1', 1, proof(0))).toMatchObject({ ok: true, verified: 1, complete: false });
    expect(await store.acceptProof('b1', 1, proof(0))).toEqual({ ok: false, refused: 'duplicate' });
    expect(await store.hasProof('b1', 0)).toBe(true);
    expect(await store.acceptProof('b1', 1, proof(1))).toMatchObject({ ok: true, verified: 2, complete: true });
    expect((await store.get('b1'))!.state).toBe('VERIFIED');
    expect(await store.acceptProof('b1', 1, proof(1))).toMatchObject({ ok: false, refused: 'state', state: 'VERIFIED' });
  });

  it('notes a re-issue only while proving; re-proves bad proofs VERIFIED -> PROVING once', async () => {
    await proving('b1');
    expect((await store.noteReissue('b1', 1, 0, 2, 'timeout')).ok).toBe(true);
    await store.acceptProof('b1', 1, proof(0));
    await store.acceptProof('b1', 1, proof(1));
    expect(await store.noteReissue('b1', 1, 0, 3, 'timeout')).toMatchObject({ ok: false, refused: 'state' });
    expect((await store.reprove('b1', 1, [1])).ok).toBe(true);
    expect(await store.get('b1')).toMatchObject({ state: 'PROVING', verified: 1 });
    expect((await store.proofs('b1')).map((p) => p.index)).toEqual([0]);
    // the same outcome redelivered changes nothing
    expect(await store.reprove('b1', 1, [1])).toMatchObject({ ok: false, refused: 'state', state: 'PROVING' });
  });

  it('settles only a VERIFIED batch of the same plan, and nothing fails a settled batch', async () => {
    await proving('b1', 1);
    expect(await store.markSettled('b1', 1, { txHash: '0xabc', block: 7, message: 'settled' })).toMatchObject({ ok: false, refused: 'state', state: 'PROVING' });
    await store.acceptProof('b1', 1, proof(0));
    expect(await store.markSettled('b1', 2, { txHash: '0xabc', block: 7, message: 'settled' })).toMatchObject({ ok: false, refused: 'version' });
    expect((await store.markSettled('b1', 1, { txHash: '0xabc', block: 7, message: 'settled' })).ok).toBe(true);
    expect(await store.get('b1')).toMatchObject({ state: 'SETTLED', settlementTx: '0xabc', block: 7 });
    const f = await store.fail('b1', { eventCode: 'PROVING_FAILED', code: 'PROVING_FAILED', message: 'late', intentNullifiers: ['b1-n1'] });
    expect(f).toMatchObject({ ok: false, refused: 'state', state: 'SETTLED' });
  });

  it('fails a planned batch atomically: FAILED, off the open list, its intents usable again', async () => {
    await proving('b1');
    const f = await store.fail('b1', { eventCode: 'PROVING_FAILED', code: 'PROVING_FAILED', message: 'gave up', intentNullifiers: ['b1-n1', 'b1-n2'], planVersion: 1 });
    expect(f.ok).toBe(true);
    expect(await store.get('b1')).toMatchObject({ state: 'FAILED', errorCode: 'PROVING_FAILED', error: 'gave up' });
    expect(await store.open()).toEqual([]);
    expect((await store.create(batch('b2', 2, ['b1-n1', 'b1-n2']))).kind).toBe('created');
    // a planning refusal is only for a batch still ACCEPTED
    expect(await store.fail('b1', { eventCode: 'PLANNING_FAILED', code: 'X', message: 'x', intentNullifiers: [], planningRefused: true })).toMatchObject({ ok: false, refused: 'state' });
    expect((await store.fail('b2', { eventCode: 'PLANNING_FAILED', code: 'X', message: 'refused', intentNullifiers: [], planningRefused: true })).ok).toBe(true);
    expect(await store.pending()).toEqual([]);
  });

  it('records a failure with its re-planning only against the open list as it is, and one re-planning at a time', async () => {
    await proving('b1');
    await proving('b2');
    await proving('b3');
    const fail = (id: string, later: { id: string; version: number }[]) =>
      store.failAndMarkReplan(id, { code: 'PROVING_FAILED', message: 'gave up', intentNullifiers: [], later });
    expect(await fail('b1', [{ id: 'b3', version: 1 }])).toEqual({ ok: false, refused: 'open-changed' });
    expect((await store.get('b1'))!.state).toBe('PROVING');
    expect((await fail('b1', [{ id: 'b2', version: 1 }, { id: 'b3', version: 1 }])).ok).toBe(true);
    expect(await store.replanMarker()).toEqual({ failed: 'b1', later: [{ id: 'b2', version: 1 }, { id: 'b3', version: 1 }] });
    expect(await fail('b2', [{ id: 'b3', version: 1 }])).toEqual({ ok: false, refused: 'replan-pending' });
    await store.clearReplanMarker('b1');
    expect((await fail('b3', [])).ok).toBe(true);
    expect(await store.replanMarker()).toBeNull(); // nothing follows b3: nothing to re-plan
    expect(await store.open()).toEqual(['b2']);
  });

  it('moves the final snapshot over done batches at the head of the open list only', async () => {
    await proving('b1', 1);
    await proving('b2', 1, 1);
    await store.acceptProof('b2', 1, proof(0));
    expect(await store.finalizeHead(['VERIFIED'], SHAPE)).toEqual([]); // b1 is not done yet
    expect(await store.ledgerFinal()).toBeNull();
    await store.acceptProof('b1', 1, proof(0));
    expect(await store.finalizeHead(['VERIFIED'], SHAPE)).toEqual(['b1', 'b2']);
    // The final snapshot is the empty ledger with both deltas applied, in order; the deltas are gone.
    const final: LedgerSnapshot = {
      ...SHAPE,
      leaves: ['b1', 'b2'],
      keys: ['nf-b1', 'in-b1', 'nf-b2', 'in-b2'],
      notes: [delta('b1').added[0]!, delta('b2', 1).added[0]!],
    };
    expect(await store.ledgerFinal()).toEqual(final);
    expect(await store.ledgerDelta('b1')).toBeNull();
    expect(await store.open()).toEqual([]);
    expect(await store.finalizeHead(['VERIFIED'], SHAPE)).toEqual([]);
    // The tip without open batches is the final snapshot.
    expect((await store.ledgerAfterOpen(SHAPE)).snapshot).toEqual(final);
  });

  it('replays the open batches\' deltas on the empty ledger of the given depths', async () => {
    expect(await store.ledgerAfterOpen(SHAPE)).toEqual({ snapshot: { ...SHAPE, leaves: [], keys: [], notes: [] } });
    await proving('b1', 1);
    await proving('b2', 1, 1);
    const tip = await store.ledgerAfterOpen(SHAPE);
    expect(tip.snapshot).toMatchObject({ leaves: ['b1', 'b2'], keys: ['nf-b1', 'in-b1', 'nf-b2', 'in-b2'] });
    expect(tip.last).toEqual(delta('b2', 1));
    expect((await store.ledgerAfterOpen({ ...SHAPE, upTo: 'b2' })).last).toEqual(delta('b1'));
    // Deltas of other depths do not apply to it.
    await expect(store.ledgerAfterOpen({ depth: 4, nullDepth: 6 })).rejects.toMatchObject({ code: 'LEDGER_DELTA_MISMATCH' });
    await expect(store.ledgerAfterOpen({ depth: 5, nullDepth: 5 })).rejects.toMatchObject({ code: 'LEDGER_DELTA_MISMATCH' });
  });

  it('refuses to replay a delta planned on another tree size or nullifier set', async () => {
    await proving('b1', 1);
    await proving('b2', 1, 5); // planned on 5 leaves, but b1 leaves 1
    await expect(store.ledgerAfterOpen(SHAPE)).rejects.toMatchObject({ code: 'LEDGER_DELTA_MISMATCH' });
    expect((await store.ledgerAfterOpen({ ...SHAPE, upTo: 'b2' })).snapshot.leaves).toEqual(['b1']);
    // The right tree size, but planned on another nullifier set (3 keys; c1 leaves 2).
    store = new BatchStore(redisClient(), `t${++n}:`);
    await proving('c1', 1);
    expect((await store.create(batch('c2', 1))).kind).toBe('created');
    expect((await store.recordPlan('c2', { plan: plan(1, 1), delta: delta('c2', 1, 3), replan: false, message: 'planned' })).ok).toBe(true);
    const refused = store.ledgerAfterOpen(SHAPE);
    await expect(refused).rejects.toMatchObject({ code: 'LEDGER_DELTA_MISMATCH' });
    await expect(refused).rejects.toThrow(/3 nullifiers/);
  });

  it('counts proofs, not transfers: a batch of k-transfer proofs is VERIFIED with its last proof', async () => {
    // 5 transfers in proofs of k = 2: transfers [0, 1], [2, 3], [4].
    expect((await store.create(batch('b1', 5, ['1', '2', '3', '4', '5']))).kind).toBe('created');
    expect(await store.get('b1')).toMatchObject({ transfers: 5, proofs: 0 });
    const p = plan(1, 3, (i) => [2 * i, 2 * i + 1].filter((t) => t < 5));
    expect((await store.recordPlan('b1', { plan: p, delta: delta('b1'), replan: false, message: 'planned 5 transfers in 3 proofs' })).ok).toBe(true);
    expect(await store.plan('b1')).toEqual(p);
    expect((await store.plan('b1'))!.proofs.map((x) => x.transfers)).toEqual([[0, 1], [2, 3], [4]]);
    expect(await store.get('b1')).toMatchObject({ state: 'PLANNED', transfers: 5, proofs: 3, verified: 0, rootBefore: '100', rootAfter: '103' });
    expect((await store.markProving('b1', 1, 3)).ok).toBe(true);
    expect(await store.acceptProof('b1', 1, proof(0))).toMatchObject({ ok: true, verified: 1, complete: false });
    expect(await store.acceptProof('b1', 1, proof(2))).toMatchObject({ ok: true, verified: 2, complete: false });
    expect(await store.acceptProof('b1', 1, proof(1))).toMatchObject({ ok: true, verified: 3, complete: true });
    expect(await store.get('b1')).toMatchObject({ state: 'VERIFIED', transfers: 5, proofs: 3, verified: 3 });
    // Every event carries the count; a re-plan may need another number of proofs.
    const events = await store.events('b1');
    expect(events.map((e) => [e.state, e.transfers, e.proofs, e.verified])).toEqual([
      ['ACCEPTED', 5, 0, 0], ['PLANNED', 5, 3, 0], ['PROVING', 5, 3, 0], ['PROVING', 5, 3, 1], ['PROVING', 5, 3, 2], ['VERIFIED', 5, 3, 3],
    ]);
    expect((await store.reprove('b1', 1, [1])).ok).toBe(true);
    expect((await store.recordPlan('b1', { plan: plan(2, 5), delta: delta('b1'), replan: true, message: 're-planned' })).ok).toBe(true);
    expect(await store.get('b1')).toMatchObject({ state: 'PLANNED', planVersion: 2, proofs: 5, verified: 0 });
    expect((await store.events('b1')).at(-1)).toMatchObject({ state: 'PLANNED', proofs: 5, verified: 0 });
  });

  it('keeps a gap-free event sequence and streams new events to a watcher', async () => {
    await proving('b1', 1);
    const watcher = store.watchEvents('b1');
    try {
      const first = await watcher.next('0', 100);
      expect(first.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(first.map((e) => e.state)).toEqual(['ACCEPTED', 'PLANNED', 'PROVING']);
      const waiting = watcher.next(first.at(-1)!.streamId, 5000);
      await store.acceptProof('b1', 1, proof(0));
      const next = await waiting;
      expect(next.map((e) => [e.seq, e.state, e.message])).toEqual([[4, 'VERIFIED', 'all proofs verified']]);
    } finally {
      watcher.close();
    }
  });
});

describe('BatchStore fencing (one writer: the lease holder)', () => {
  it('refuses every write of a stale leader once another one holds the lease, and writes nothing', async () => {
    const prefix = `fence${++n}:`;
    const epochKey = `${prefix}leader:epoch`;
    const old = new BatchStore(redisClient(), prefix);
    const fresh = new BatchStore(redisClient(), prefix);
    await redisClient().set(epochKey, '1');
    old.setFencingToken('1');
    store = old;
    await proving('f1');
    // Another orchestrator takes the lease: epoch 2.
    await redisClient().set(epochKey, '2');
    fresh.setFencingToken('2');
    const before = await redisClient().hgetall(`${prefix}batch:f1`);
    await expect(old.acceptProof('f1', 1, proof(0))).rejects.toMatchObject({ code: 'FENCED_OFF' });
    await expect(old.fail('f1', { eventCode: 'X', code: 'X', message: 'x', intentNullifiers: [], planVersion: 1 })).rejects.toMatchObject({ code: 'FENCED_OFF' });
    await expect(old.recordAttempt('f1', 0, 2)).rejects.toMatchObject({ code: 'FENCED_OFF' });
    await expect(old.nextAttempt('f1', 0)).rejects.toMatchObject({ code: 'FENCED_OFF' });
    await expect(old.finalizeHead(['PROVING'], SHAPE)).rejects.toMatchObject({ code: 'FENCED_OFF' });
    expect(await redisClient().hgetall(`${prefix}batch:f1`)).toEqual(before);
    expect(await old.proofs('f1')).toEqual([]);
    // The current leader writes.
    expect((await fresh.acceptProof('f1', 1, proof(0))).ok).toBe(true);
  });

  it('refuses a writer without a token once any leader was elected', async () => {
    const prefix = `fence${++n}:`;
    const leader = new BatchStore(redisClient(), prefix);
    await redisClient().set(`${prefix}leader:epoch`, '1');
    leader.setFencingToken('1');
    store = leader;
    await proving('f2');
    const anonymous = new BatchStore(redisClient(), prefix);
    await expect(anonymous.markSettled('f2', 1, { txHash: '0x', block: 1, message: 'x' })).rejects.toMatchObject({ code: 'FENCED_OFF' });
  });
});

describe('BatchStore retention', () => {
  /** Every Redis key of this test's namespace that names the batch. */
  const keysOf = async (id: string) => (await redisClient().keys(`${store.prefix}*`)).filter((k) => k.includes(id)).sort();

  /** b1 settled and off the open list, b2 still proving behind it. */
  async function settledAndOpen(): Promise<void> {
    await proving('b1', 1);
    await proving('b2', 1, 1);
    await store.recordAttempt('b1', 0, 1);
    await store.acceptProof('b1', 1, proof(0));
    expect((await store.markSettled('b1', 1, { txHash: '0xabc', block: 7, message: 'settled', aggregationRoot: '0xagg' }, 1_000)).ok).toBe(true);
    expect(await store.finalizeHead(['SETTLED'], SHAPE)).toEqual(['b1']);
  }

  it('prunes a settled batch to its audit record after the retention time, once', async () => {
    await settledAndOpen();
    const at = Number(await redisClient().zscore(`${store.prefix}final-batches`, 'b1'));
    expect(at).toBeGreaterThan(0);
    expect(await store.finishedBefore(at! - 1, 10)).toEqual([]);
    expect(await store.finishedBefore(at!, 10)).toEqual(['b1']);
    // Too young: nothing changes.
    expect(await store.prune('b1', ['SETTLED', 'FAILED'], at! - 1)).toBe('too-young');
    expect((await keysOf('b1')).length).toBeGreaterThan(1);
    expect(await store.prune('b1', ['SETTLED', 'FAILED'], at!, at! + 5)).toBe('pruned');
    expect(await keysOf('b1')).toEqual([`${store.prefix}batch:b1`]);
    const audit = await redisClient().hgetall(`${store.prefix}batch:b1`);
    expect(Object.keys(audit).sort()).toEqual(
      ['id', 'bankId', 'idempotencyKey', 'requestHash', 'state', 'transfers', 'proofs', 'verified', 'rootBefore', 'rootAfter', 'aggregationRoot', 'settlementTx', 'block', 'settledMs', 'createdMs', 'updatedMs', 'eventSeq', 'prunedMs'].sort(),
    );
    expect(await store.get('b1')).toMatchObject({
      id: 'b1', bankId: 'bank-a', state: 'SETTLED', transfers: 1, proofs: 1, verified: 1, rootBefore: '100', rootAfter: '101',
      aggregationRoot: '0xagg', settlementTx: '0xabc', block: 7, settledMs: 1_000, prunedMs: at! + 5,
    });
    // Its status history answers as one final event from the audit record.
    expect(await store.events('b1')).toMatchObject([{ seq: 5, state: 'SETTLED', transfers: 1, proofs: 1, verified: 1, settlementTx: '0xabc', block: 7 }]);
    // A retried submission is still the same batch.
    expect(await store.create(batch('b1'))).toEqual({ kind: 'duplicate', batchId: 'b1', state: 'SETTLED' });
    // Again: nothing to do, and it is off the list.
    expect(await store.prune('b1', ['SETTLED', 'FAILED'], at!)).toBe('already');
    expect(await store.finishedBefore(Date.now(), 10)).toEqual([]);
    // The open batch behind it is untouched: its plan and delta still rebuild the tip.
    expect(await store.plan('b2')).not.toBeNull();
    expect((await store.ledgerAfterOpen(SHAPE)).snapshot.leaves).toEqual(['b1', 'b2']);
  });

  it('never prunes a batch that is not final or still on the open list', async () => {
    await proving('b1', 1);
    await store.acceptProof('b1', 1, proof(0));
    await store.markSettled('b1', 1, { txHash: '0xabc', block: 7, message: 'settled' });
    // SETTLED but still open (not yet finalized): its delta is still needed.
    expect(await store.prune('b1', ['SETTLED', 'FAILED'], Date.now() + 1e9)).toBe('open');
    await proving('b2', 1, 1);
    expect(await store.prune('b2', ['SETTLED', 'FAILED'], Date.now() + 1e9)).toBe('not-final');
    expect(await store.prune('nope', ['SETTLED', 'FAILED'], Date.now() + 1e9)).toBe('missing');
    expect(await store.plan('b1')).not.toBeNull();
    expect(await store.ledgerDelta('b1')).not.toBeNull();
    expect(await store.plan('b2')).not.toBeNull();
  });

  it('prunes a failed batch (listed as final when it failed) and keeps its error in the audit record', async () => {
    await proving('b1', 1);
    await store.fail('b1', { eventCode: 'PROVING_FAILED', code: 'PROVING_FAILED', message: 'gave up', intentNullifiers: ['b1-n1'], planVersion: 1 });
    expect(await store.finishedBefore(Date.now(), 10)).toEqual(['b1']);
    expect(await store.prune('b1', ['SETTLED', 'FAILED'], Date.now())).toBe('pruned');
    expect(await keysOf('b1')).toEqual([`${store.prefix}batch:b1`]);
    expect(await store.get('b1')).toMatchObject({ state: 'FAILED', errorCode: 'PROVING_FAILED', error: 'gave up' });
  });

  it('lists final batches an older version left unlisted, so that they are pruned too', async () => {
    await proving('b1', 1);
    await store.acceptProof('b1', 1, proof(0));
    await store.finalizeHead(['VERIFIED'], SHAPE);
    await redisClient().del(`${store.prefix}final-batches`); // as an older version left it
    await proving('b2', 1, 1);
    await store.acceptProof('b2', 1, proof(0)); // VERIFIED but still open
    expect(await store.listUnlistedFinal(['VERIFIED', 'SETTLED', 'FAILED'])).toBe(1);
    expect(await store.finishedBefore(Date.now(), 10)).toEqual(['b1']);
    expect(await store.listUnlistedFinal(['VERIFIED', 'SETTLED', 'FAILED'])).toBe(0);
  });

  it('refuses to prune for a stale leader', async () => {
    await proving('b1', 1);
    await store.fail('b1', { eventCode: 'X', code: 'X', message: 'x', intentNullifiers: [], planVersion: 1 });
    await redisClient().set(`${store.prefix}leader:epoch`, '3');
    store.setFencingToken('2');
    await expect(store.prune('b1', ['FAILED'], Date.now())).rejects.toMatchObject({ code: 'FENCED_OFF' });
    expect(await store.plan('b1')).not.toBeNull();
  });
});
