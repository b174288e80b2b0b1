import { beforeAll, describe, expect, it } from 'vitest';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { wireIntentOf } from '../../cli/bank/wire-intent.ts';
import { nullifierKey } from '../../circuits/model/nullifier-set.ts';
import { intentNullifier, type SignedIntent } from '../../circuits/model/intent.ts';
import { Ledger } from '../../circuits/model/ledger.ts';
import { ASSET, fundedLedger, type FundedLedger } from '../../circuits/model/test-fixtures.ts';
import { pointAfter, pointBefore, pointOfWire, wireOfPoint } from '../../protocol/ledger-point.ts';
import { TRANSFER_PUBLIC_INPUTS as IX } from '../../protocol/transfer-public-inputs.ts';
import { silentLog } from '../../test/support/test-logger.ts';
import { BatchStore } from '../store/batch-store.ts';
import { Sequencer } from './sequencer.ts';

// k = 2 with small trees: every plan here is a few proofs of up to two transfers.
const K = 2;
const DEPTH = 6;
const NULL_DEPTH = 7;
const SHAPE = { depth: DEPTH, nullDepth: NULL_DEPTH };
const redisClient = useRedisServer();
let f: FundedLedger;
let n = 0;

beforeAll(async () => {
  f = await fundedLedger({ k: K, ...SHAPE });
});

/** Creates batch `id` of `intents` in `store` (ACCEPTED, queued for planning). */
async function createBatch(store: BatchStore, id: string, intents: SignedIntent[]): Promise<void> {
  const out = await store.create({
    batchId: id,
    bankId: 'central-bank',
    idempotencyKey: id,
    requestHash: id,
    intents: intents.map(wireIntentOf),
    intentNullifiers: intents.map((s) => String(intentNullifier(f.crypto, s.auth.nk, s.intent.nonce))),
  });
  expect(out.kind).toBe('created');
}

/** The public state of the empty ledger. */
const emptyPoint = () => wireOfPoint({ ...Ledger.empty(f.crypto, DEPTH, NULL_DEPTH).point, noteIndex: 0n });

/** Says nothing (assertions check the outcome). */
const log = silentLog;

/** A store in a fresh namespace with batches A (mint to alice), B (mint to bob), C (bob pays carol: needs B), all planned. */
async function threePlanned() {
  const store = new BatchStore(redisClient(), `s${++n}:`);
  await createBatch(store, 'A', [f.intent(f.minter, f.alice.owner, 1000n)]);
  await createBatch(store, 'B', [f.intent(f.minter, f.bob.owner, 500n)]);
  await createBatch(store, 'C', [f.intent(f.bob, f.carol.owner, 100n)]);
  const planned: string[] = [];
  const seq = new Sequencer({ crypto: f.crypto, store, params: f.params, log, onPlanned: async (id, v) => void planned.push(`${id}@${v}`) });
  expect(await seq.planPending()).toBe(3);
  expect(planned).toEqual(['A@1', 'B@1', 'C@1']);
  return { store, planned };
}

/** A sequencer as a restarted orchestrator has it: nothing in memory; `crashAt` makes the k-th onPlanned throw. */
function sequencer(store: BatchStore, planned: string[], crashAt?: number) {
  let calls = 0;
  return new Sequencer({
    crypto: f.crypto,
    store,
    params: f.params,
    log,
    onPlanned: async (id, v) => {
      if (++calls === crashAt) throw new Error('killed');
      planned.push(`${id}@${v}`);
    },
  });
}

/** The one final state, however the failure of A was interrupted. */
async function expectAReplanned(store: BatchStore) {
  const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((id) => store.get(id)));
  expect(a).toMatchObject({ state: 'FAILED', errorCode: 'PROVING_FAILED' });
  expect(b).toMatchObject({ state: 'PLANNED', planVersion: 2 });
  expect(c).toMatchObject({ state: 'PLANNED', planVersion: 2 });
  // B now starts from the empty ledger (A's deposit never happened), C where B now ends.
  expect(b!.rootBefore).toBe(emptyPoint().noteRoot);
  expect(c!.rootBefore).toBe(b!.rootAfter);
  const [pb, pc] = [(await store.plan('B'))!, (await store.plan('C'))!];
  expect(pb.version).toBe(2);
  expect(pb.points[0]).toEqual(emptyPoint());
  expect(pc.points[0]).toEqual(pb.points.at(-1));
  expect(await store.open()).toEqual(['B', 'C']);
  expect(await store.replanMarker()).toBeNull();
}

describe('Sequencer: failing a batch re-plans the later ones', () => {
  it('re-plans every later batch on the state before the failed one', async () => {
    const { store, planned } = await threePlanned();
    await sequencer(store, planned).failBatch('A', 'PROVING_FAILED', 'gave up', 1);
    await expectAReplanned(store);
    expect(planned.slice(3)).toEqual(['B@2', 'C@2']);
  });

  it('fails a later batch whose transfers no longer hold (C spends what B created)', async () => {
    const { store, planned } = await threePlanned();
    await sequencer(store, planned).failBatch('B', 'SETTLEMENT_FAILED', 'refused', 1);
    expect(await store.get('B')).toMatchObject({ state: 'FAILED' });
    expect(await store.get('C')).toMatchObject({ state: 'FAILED', planVersion: 1 });
    expect(await store.get('A')).toMatchObject({ state: 'PLANNED', planVersion: 1 });
    expect(await store.open()).toEqual(['A']);
    expect(await store.replanMarker()).toBeNull();
  });

  it('ends in the same state when killed after the failure was recorded, before any re-plan', async () => {
    const { store, planned } = await threePlanned();
    // What failBatch writes first, then the process dies.
    const a = await store.get('A');
    const out = await store.failAndMarkReplan('A', {
      code: 'PROVING_FAILED',
      message: 'gave up',
      intentNullifiers: [],
      planVersion: a!.planVersion,
      later: [{ id: 'B', version: 1 }, { id: 'C', version: 1 }],
    });
    expect(out.ok).toBe(true);
    expect(await store.replanMarker()).toEqual({ failed: 'A', later: [{ id: 'B', version: 1 }, { id: 'C', version: 1 }] });
    await sequencer(store, planned).resume();
    await expectAReplanned(store);
  });

  for (const k of [1, 2]) {
    it(`ends in the same state when killed after re-plan ${k} of 2, and never re-plans a batch twice`, async () => {
      const { store, planned } = await threePlanned();
      await expect(sequencer(store, planned, k).failBatch('A', 'PROVING_FAILED', 'gave up', 1)).rejects.toThrow('killed');
      expect(await store.replanMarker()).not.toBeNull();
      await sequencer(store, planned).resume();
      await expectAReplanned(store);
    });
  }

  it('refuses a stale failure (another plan version) and leaves everything as it was', async () => {
    const { store, planned } = await threePlanned();
    await sequencer(store, planned).failBatch('A', 'PROVING_FAILED', 'stale', 7);
    expect(await store.get('A')).toMatchObject({ state: 'PLANNED', planVersion: 1 });
    expect(await store.open()).toEqual(['A', 'B', 'C']);
    expect(await store.replanMarker()).toBeNull();
  });
});

describe('Sequencer: ledger state without a full copy per batch', () => {
  /** A store with batches created from `batches` (id -> intents), all planned by one sequencer. */
  async function planned(batches: [string, SignedIntent[]][]) {
    const store = new BatchStore(redisClient(), `d${++n}:`);
    for (const [id, intents] of batches) await createBatch(store, id, intents);
    const plannedIds: string[] = [];
    expect(await sequencer(store, plannedIds).planPending()).toBe(batches.length);
    return { store, plannedIds };
  }

  it('stores a compact delta per planned batch and no ledger snapshot until a batch is final', async () => {
    const bIntents = [f.intent(f.minter, f.bob.owner, 500n), f.intent(f.minter, f.carol.owner, 5n)];
    const { store } = await planned([
      ['A', [f.intent(f.minter, f.alice.owner, 1000n)]],
      ['B', bIntents],
    ]);
    const keys = await redisClient().keys(`${store.prefix}*`);
    expect(keys.filter((k) => k.endsWith(':after'))).toEqual([]);
    expect(await store.ledgerFinal()).toBeNull();
    const b = (await store.ledgerDelta('B'))!;
    // Two deposits: two leaves each, two notes created, its two intents' nullifiers inserted (no note
    // spent); it starts where A ends.
    expect(b).toMatchObject({
      ...SHAPE,
      sizeBefore: 2,
      keysBefore: 1,
      noteRootBefore: (await store.get('A'))!.rootAfter,
      noteRootAfter: (await store.get('B'))!.rootAfter,
      nullRootAfter: (await store.plan('B'))!.points.at(-1)!.nullRoot,
      removed: [],
    });
    expect(b.leaves).toHaveLength(4);
    expect(b.added.map((x) => x.amount).sort()).toEqual(['5', '500']);
    expect(b.keys).toEqual(bIntents.map((s) => String(nullifierKey(intentNullifier(f.crypto, s.auth.nk, s.intent.nonce)))));
  });

  it('rebuilds the tip after a restart from the final snapshot and the open deltas, and plans on it', async () => {
    const { store } = await planned([
      ['A', [f.intent(f.minter, f.alice.owner, 1000n)]],
      ['B', [f.intent(f.alice, f.bob.owner, 300n)]],
    ]);
    // A becomes final: the final snapshot moves over it, B stays open with its delta.
    expect((await store.markProving('A', 1, 1)).ok).toBe(true);
    expect(await sequencer(store, []).finalizeHead(['PROVING'])).toEqual(['A']);
    expect((await store.ledgerFinal())!.leaves).toHaveLength(2);
    expect(await store.ledgerDelta('A')).toBeNull();
    // A restarted planner: nothing in memory. C spends bob's note, which only B's delta holds.
    await createBatch(store, 'C', [f.intent(f.bob, f.carol.owner, 100n)]);
    expect(await sequencer(store, []).planPending()).toBe(1);
    const [b, c] = await Promise.all([store.get('B'), store.get('C')]);
    expect(c).toMatchObject({ state: 'PLANNED', planVersion: 1, rootBefore: b!.rootAfter });
    expect((await store.plan('C'))!.points[0]).toEqual((await store.plan('B'))!.points.at(-1));
    // The state replayed from the final snapshot and the open deltas is the one after A, B and C.
    const { snapshot } = await store.ledgerAfterOpen(SHAPE);
    const rebuilt = Ledger.fromSnapshot(f.crypto, snapshot);
    expect(String(rebuilt.tree.root)).toBe(c!.rootAfter);
    expect(wireOfPoint({ ...rebuilt.point, noteIndex: BigInt(rebuilt.point.noteIndex) })).toEqual((await store.plan('C'))!.points.at(-1));
    expect(rebuilt.balanceOf(f.carol.owner, ASSET)).toBe(100n);
    expect(rebuilt.balanceOf(f.alice.owner, ASSET)).toBe(700n);
  });

  it('re-plans after a failure in the middle of open batches on the final state plus the earlier deltas', async () => {
    const { store, plannedIds: plannedLog } = await planned([
      ['A', [f.intent(f.minter, f.alice.owner, 1000n)]],
      ['B', [f.intent(f.minter, f.bob.owner, 500n)]],
      ['C', [f.intent(f.alice, f.carol.owner, 100n)]],
      ['D', [f.intent(f.minter, f.carol.owner, 7n)]],
    ]);
    // A is final; B (now the head) is still open when C, in the middle, fails: D is re-planned on A + B.
    await store.markProving('A', 1, 1);
    expect(await sequencer(store, plannedLog).finalizeHead(['PROVING'])).toEqual(['A']);
    expect(await store.open()).toEqual(['B', 'C', 'D']);
    await sequencer(store, plannedLog).failBatch('C', 'PROVING_FAILED', 'gave up', 1);
    expect(await store.open()).toEqual(['B', 'D']);
    const [b, c, d] = await Promise.all(['B', 'C', 'D'].map((id) => store.get(id)));
    expect(c).toMatchObject({ state: 'FAILED' });
    expect(d).toMatchObject({ state: 'PLANNED', planVersion: 2, rootBefore: b!.rootAfter });
    expect(await store.ledgerDelta('C')).toBeNull();
    expect((await store.ledgerDelta('D'))!.sizeBefore).toBe(4);
    // B and D final: the final snapshot is A + B + D; C never happened.
    await store.markProving('B', 1, 1);
    await store.markProving('D', 2, 1);
    expect(await sequencer(store, plannedLog).finalizeHead(['PROVING'])).toEqual(['B', 'D']);
    const final = Ledger.fromSnapshot(f.crypto, (await store.ledgerFinal())!);
    expect(String(final.tree.root)).toBe((await store.get('D'))!.rootAfter);
    expect(final.tree.size).toBe(6);
    expect(String(final.point.nullRoot)).toBe((await store.plan('D'))!.points.at(-1)!.nullRoot);
  });

  it('refuses to rebuild a tip whose deltas do not chain (and says which batch)', async () => {
    const { store } = await planned([
      ['A', [f.intent(f.minter, f.alice.owner, 1000n)]],
      ['B', [f.intent(f.minter, f.bob.owner, 500n)]],
    ]);
    await redisClient().del(`${store.prefix}batch:A:delta`);
    await createBatch(store, 'X', [f.intent(f.minter, f.bob.owner, 1n)]);
    await expect(sequencer(store, []).planPending()).rejects.toMatchObject({ code: 'LEDGER_DELTA_MISSING' });
    expect(await store.get('X')).toMatchObject({ state: 'ACCEPTED' });
  });
});

describe('Sequencer: proofs of k transfers', () => {
  it('plans a batch in proofs of k, chained by ledger points, with the transfers each proof carries', async () => {
    const store = new BatchStore(redisClient(), `k${++n}:`);
    // Proof 0: two deposits; proof 1: a deposit and bob spending the note proof 0 made him; proof 2: alice pays bob.
    await createBatch(store, 'P', [
      f.intent(f.minter, f.bob.owner, 500n),
      f.intent(f.minter, f.alice.owner, 1000n),
      f.intent(f.minter, f.carol.owner, 5n),
      f.intent(f.bob, f.carol.owner, 100n),
      f.intent(f.alice, f.bob.owner, 300n),
    ]);
    await createBatch(store, 'Q', [f.intent(f.carol, f.alice.owner, 105n)]);
    const plannedIds: string[] = [];
    expect(await sequencer(store, plannedIds).planPending()).toBe(2);
    expect(plannedIds).toEqual(['P@1', 'Q@1']);

    const plan = (await store.plan('P'))!;
    expect(plan.version).toBe(1);
    expect(plan.proofs.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(plan.proofs.map((p) => p.transfers)).toEqual([[0, 1], [2, 3], [4]]);
    expect(plan.points).toHaveLength(4);
    expect(plan.points[0]).toEqual(emptyPoint());
    expect(plan.points.map((p) => p.noteIndex)).toEqual([0, 4, 8, 10]);
    plan.proofs.forEach((p, i) => {
      const signals = p.publicSignals.map(BigInt);
      expect(signals).toHaveLength(IX.count);
      // Each proof starts where the one before it ends: the points between them.
      expect(pointBefore(signals)).toEqual(pointOfWire(plan.points[i]!));
      expect(pointAfter(signals)).toEqual(pointOfWire(plan.points[i + 1]!));
      expect(signals[IX.transfers]).toBe(BigInt(p.transfers.length));
      expect(signals[IX.domain]).toBe(f.params.domain);
      expect(signals[IX.minter]).toBe(f.policy.minter);
      expect(signals[IX.limit]).toBe(f.policy.complianceLimit);
      expect(Object.keys(p.input).length).toBeGreaterThan(0);
    });
    const rec = await store.get('P');
    expect(rec).toMatchObject({ state: 'PLANNED', planVersion: 1, transfers: 5, proofs: 3, verified: 0, rootBefore: plan.points[0]!.noteRoot, rootAfter: plan.points[3]!.noteRoot });
    expect((await store.events('P')).at(-1)).toMatchObject({ state: 'PLANNED', transfers: 5, proofs: 3, message: 'planned 5 transfers in 3 proofs of up to 2' });

    // Its delta: ten leaves; five intent nullifiers and the two spent notes' nullifiers.
    const d = (await store.ledgerDelta('P'))!;
    expect(d).toMatchObject({ sizeBefore: 0, keysBefore: 0, noteRootAfter: plan.points[3]!.noteRoot, nullRootAfter: plan.points[3]!.nullRoot });
    expect(d.leaves).toHaveLength(10);
    expect(d.keys).toHaveLength(7);
    expect(d.removed).toEqual([]); // the notes it spent were made within it

    // The next batch starts where it ends; one transfer is one proof.
    const q = (await store.plan('Q'))!;
    expect(q.points[0]).toEqual(plan.points[3]);
    expect(q.proofs.map((p) => p.transfers)).toEqual([[0]]);
    expect(await store.get('Q')).toMatchObject({ transfers: 1, proofs: 1 });
    const tip = Ledger.fromSnapshot(f.crypto, (await store.ledgerAfterOpen(SHAPE)).snapshot);
    expect(String(tip.tree.root)).toBe(q.points[1]!.noteRoot);
    expect([f.alice, f.bob, f.carol].map((a) => tip.balanceOf(a.owner, ASSET))).toEqual([805n, 700n, 0n]);
  });

  it('refuses a whole batch when one of its intents cannot be made, and plans the next one on the state before it', async () => {
    const store = new BatchStore(redisClient(), `k${++n}:`);
    await createBatch(store, 'A', [f.intent(f.minter, f.alice.owner, 1000n)]);
    // Its third intent (in its second proof) spends more than carol holds.
    await createBatch(store, 'R', [f.intent(f.minter, f.carol.owner, 5n), f.intent(f.alice, f.bob.owner, 10n), f.intent(f.carol, f.bob.owner, 50n)]);
    await createBatch(store, 'S', [f.intent(f.alice, f.bob.owner, 1n)]);
    expect(await sequencer(store, []).planPending()).toBe(3);
    const r = (await store.get('R'))!;
    expect(r).toMatchObject({ state: 'FAILED', errorCode: 'INSUFFICIENT_FUNDS', proofs: 0 });
    expect(r.error).toContain('planning refused');
    expect(await store.plan('R')).toBeNull();
    expect(await store.open()).toEqual(['A', 'S']);
    expect((await store.plan('S'))!.points[0]).toEqual((await store.plan('A'))!.points.at(-1));
  });

  it('refuses at planning a batch whose intents were signed in another domain', async () => {
    const store = new BatchStore(redisClient(), `k${++n}:`);
    await createBatch(store, 'W', [f.intent(f.minter, f.alice.owner, 1n), f.intent(f.minter, f.alice.owner, 2n, { domain: f.params.domain + 1n })]);
    await createBatch(store, 'V', [f.intent(f.minter, f.alice.owner, 3n)]);
    expect(await sequencer(store, []).planPending()).toBe(2);
    expect(await store.get('W')).toMatchObject({ state: 'FAILED', errorCode: 'BAD_SIGNATURE' });
    expect(await store.get('V')).toMatchObject({ state: 'PLANNED', proofs: 1, rootBefore: emptyPoint().noteRoot });
  });
});
