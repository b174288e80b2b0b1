import { beforeAll, describe, expect, it } from 'vitest';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { wireIntentOf } from '../../cli/bank/wire-intent.ts';
import { intentNullifier, type SignedIntent } from '../../circuits/model/intent.ts';
import { LedgerState } from '../../circuits/model/ledger-state.ts';
import { ASSET, funded, type Funded } from '../../circuits/model/test-fixtures.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { BatchStore } from '../store/batch-store.ts';
import { Sequencer } from './sequencer.ts';

const DEPTH = 10;
const redisClient = useRedisServer();
let f: Funded;
let n = 0;

beforeAll(async () => {
  f = await funded(DEPTH);
});

/** Says nothing (assertions check the outcome). */
const log: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => log };

/** A store in a fresh namespace with batches A (mint to alice), B (mint to bob), C (bob pays carol: needs B), all planned. */
async function threePlanned() {
  const store = new BatchStore(redisClient(), `s${++n}:`);
  const create = async (id: string, intents: SignedIntent[]) => {
    const out = await store.create({
      batchId: id,
      bankId: 'central-bank',
      idempotencyKey: id,
      requestHash: id,
      intents: intents.map(wireIntentOf),
      intentNullifiers: intents.map((s) => String(intentNullifier(f.crypto, s.auth.nk, s.intent.nonce))),
    });
    expect(out.kind).toBe('created');
  };
  await create('A', [f.intent(f.minter, f.alice.owner, 1000n)]);
  await create('B', [f.intent(f.minter, f.bob.owner, 500n)]);
  await create('C', [f.intent(f.bob, f.carol.owner, 100n)]);
  const planned: string[] = [];
  const seq = new Sequencer({ crypto: f.crypto, store, policy: f.policy, depth: DEPTH, log, onPlanned: async (id, v) => void planned.push(`${id}@${v}`) });
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
    policy: f.policy,
    depth: DEPTH,
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
  // B now starts from the empty tree (A's deposit never happened), C from B's new root.
  expect(b!.rootBefore).toBe(String(LedgerState.empty(f.crypto, DEPTH).root));
  expect(c!.rootBefore).toBe(b!.rootAfter);
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
    for (const [id, intents] of batches) {
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
    const plannedIds: string[] = [];
    expect(await sequencer(store, plannedIds).planPending()).toBe(batches.length);
    return { store, plannedIds };
  }

  it('stores a compact delta per planned batch and no ledger snapshot until a batch is final', async () => {
    const { store } = await planned([
      ['A', [f.intent(f.minter, f.alice.owner, 1000n)]],
      ['B', [f.intent(f.minter, f.bob.owner, 500n), f.intent(f.minter, f.carol.owner, 5n)]],
    ]);
    const keys = await redisClient().keys(`${store.prefix}*`);
    expect(keys.filter((k) => k.endsWith(':after'))).toEqual([]);
    expect(await store.ledgerFinal()).toBeNull();
    const b = (await store.ledgerDelta('B'))!;
    // Two transfers: two leaves each, two notes created, its two intents used; it starts where A ends.
    expect(b).toMatchObject({ sizeBefore: 2, rootBefore: (await store.get('A'))!.rootAfter, rootAfter: (await store.get('B'))!.rootAfter });
    expect(b.leaves).toHaveLength(4);
    expect(b.added.map((x) => x.amount).sort()).toEqual(['5', '500']);
    expect(b.usedIntents).toHaveLength(2);
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
    await store.create({
      batchId: 'C',
      bankId: 'central-bank',
      idempotencyKey: 'C',
      requestHash: 'C',
      intents: [wireIntentOf(f.intent(f.bob, f.carol.owner, 100n))],
      intentNullifiers: ['c-1'],
    });
    expect(await sequencer(store, []).planPending()).toBe(1);
    const [b, c] = await Promise.all([store.get('B'), store.get('C')]);
    expect(c).toMatchObject({ state: 'PLANNED', planVersion: 1, rootBefore: b!.rootAfter });
    // The state replayed from the final snapshot and the open deltas is the one after A, B and C.
    const { snapshot } = await store.ledgerAfterOpen({ depth: DEPTH });
    const rebuilt = LedgerState.fromSnapshot(f.crypto, snapshot);
    expect(String(rebuilt.root)).toBe(c!.rootAfter);
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
    const final = LedgerState.fromSnapshot(f.crypto, (await store.ledgerFinal())!);
    expect(String(final.root)).toBe((await store.get('D'))!.rootAfter);
    expect(final.tree.size).toBe(6);
  });

  it('refuses to rebuild a tip whose deltas do not chain (and says which batch)', async () => {
    const { store } = await planned([
      ['A', [f.intent(f.minter, f.alice.owner, 1000n)]],
      ['B', [f.intent(f.minter, f.bob.owner, 500n)]],
    ]);
    await redisClient().del(`${store.prefix}batch:A:delta`);
    await store.create({ batchId: 'X', bankId: 'central-bank', idempotencyKey: 'X', requestHash: 'X', intents: [wireIntentOf(f.intent(f.minter, f.bob.owner, 1n))], intentNullifiers: ['x-1'] });
    await expect(sequencer(store, []).planPending()).rejects.toMatchObject({ code: 'LEDGER_DELTA_MISSING' });
    expect(await store.get('X')).toMatchObject({ state: 'ACCEPTED' });
  });
});
