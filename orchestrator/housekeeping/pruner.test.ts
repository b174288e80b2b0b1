import { generateSealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { describe, expect, it } from 'vitest';
import { useNatsTopology } from '../../test/support/nats-topology-for-tests.ts';
import { silentLog } from '../../test/support/test-logger.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import type { ValidatedBatch } from '../api/validate-submit.ts';
import { Dispatcher } from '../dispatch/dispatcher.ts';
import { createMetrics } from '../metrics.ts';
import { BatchStore, type StoredPlan } from '../store/batch-store.ts';
import type { LedgerDelta } from '../store/ledger-delta.ts';
import { Pruner } from './pruner.ts';

const redisClient = useRedisServer();
const nats = useNatsTopology('prune');
const log = silentLog;

const batch = (id: string): ValidatedBatch => ({
  batchId: id,
  bankId: 'bank-a',
  idempotencyKey: `key-${id}`,
  requestHash: `hash-${id}`,
  intents: [{}, {}, {}] as ValidatedBatch['intents'],
  intentNullifiers: [`${id}-n1`, `${id}-n2`, `${id}-n3`],
});
/** Three transfers in two proofs of k = 2. */
const plan: StoredPlan = {
  version: 1,
  points: [
    { noteRoot: '1', noteIndex: 0, nullRoot: '11' },
    { noteRoot: '2', noteIndex: 4, nullRoot: '12' },
    { noteRoot: '3', noteIndex: 6, nullRoot: '13' },
  ],
  proofs: [[0, 1], [2]].map((transfers, index) => ({ index, input: { x: String(index) }, publicSignals: ['1', '2'], transfers })),
};
const delta = (sizeBefore: number): LedgerDelta => ({
  depth: 4,
  nullDepth: 5,
  sizeBefore,
  keysBefore: sizeBefore,
  noteRootBefore: '1',
  noteRootAfter: '3',
  nullRootAfter: '13',
  leaves: ['5', '6', '7', '8', '9', '10'],
  keys: ['21', '22', '23', '24', '25', '26'],
  added: [],
  removed: [],
});

/** KV keys of the jobs bucket that name `batchId`. */
async function kvKeysOf(batchId: string): Promise<string[]> {
  const { topo } = nats();
  const out: string[] = [];
  for await (const k of await topo.jobs.keys(`${batchId}.>`)) out.push(k);
  return out;
}

describe('Pruner (real redis-server and nats-server)', () => {
  it('leaves only the audit record of a settled batch after the retention time, and nothing of an open one', async () => {
    const { nc, topo } = nats();
    const store = new BatchStore(redisClient(), 'p1:');
    const gatewaySealKey = (await generateSealKeyPair()).publicKeyHex;
    const dispatcher = new Dispatcher({ nc, names: topo.names, jobsKv: topo.jobs, store, artifact: 'a'.repeat(64), log, metrics: createMetrics(), gatewaySealKey, shares: topo.shares });
    // S: planned, dispatched (jobs and expectations published), proved, settled. O: planned and proving after it.
    for (const [id, size] of [['S', 0], ['O', 6]] as const) {
      expect((await store.create(batch(id))).kind).toBe('created');
      expect((await store.recordPlan(id, { plan, delta: delta(size), replan: false, message: 'planned' })).ok).toBe(true);
      expect(await dispatcher.dispatchBatch(id, 1)).toBe(2);
    }
    for (const index of [0, 1]) {
      await store.acceptProof('S', 1, { index, jobId: `S.v1.t${index}.a1`, workerId: 'w', proof: {}, publicSignals: ['1', '2'], proveMs: 1 });
    }
    expect((await store.markSettled('S', 1, { txHash: '0xfeed', block: 9, message: 'settled', aggregationRoot: '0xa99' })).ok).toBe(true);
    expect(await store.finalizeHead(['SETTLED'], { depth: 4, nullDepth: 5 })).toEqual(['S']);
    expect(await kvKeysOf('S')).toHaveLength(2);
    expect((await topo.jsm.streams.info(topo.names.jobsStream)).state.messages).toBe(4);

    const retentionMs = 60_000;
    const pruner = new Pruner({ store, jsm: topo.jsm, names: topo.names, log, retentionMs, finalStates: ['SETTLED', 'FAILED'], intervalMs: 1000 });
    // Within the retention time nothing is pruned.
    expect(await pruner.pass()).toBe(0);
    expect(await store.plan('S')).not.toBeNull();
    // After it: S is its audit record only, in Redis and in NATS.
    expect(await pruner.pass(Date.now() + retentionMs)).toBe(1);
    const keys = (await redisClient().keys('p1:*')).filter((k) => k.includes('S') && !k.startsWith('p1:index:'));
    expect(keys).toEqual(['p1:batch:S']);
    // The audit record stays listed (the listing index holds only its creation time and id).
    expect((await store.list({ limit: 10, state: 'SETTLED' })).items.map((r) => r.id)).toEqual(['S']);
    expect(await store.get('S')).toMatchObject({ state: 'SETTLED', bankId: 'bank-a', settlementTx: '0xfeed', aggregationRoot: '0xa99', rootBefore: '1', rootAfter: '3', transfers: 3, proofs: 2, verified: 2 });
    expect(await kvKeysOf('S')).toEqual([]);
    // Its jobs left the queue too; O's are still there, with their expectations.
    const queued = (await topo.jsm.streams.info(topo.names.jobsStream)).state.messages;
    expect(queued).toBe(2);
    expect(await kvKeysOf('O')).toHaveLength(2);
    expect(await store.plan('O')).not.toBeNull();
    expect(await store.ledgerDelta('O')).not.toBeNull();
    // Idempotent: a second pass (another orchestrator's, after a kill) does nothing.
    expect(await pruner.pass(Date.now() + retentionMs)).toBe(0);
    expect(await store.get('S')).toMatchObject({ state: 'SETTLED' });
  });
});
