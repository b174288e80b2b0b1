import { Queue, UnrecoverableError, Worker as BullWorker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { generateSealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { useNatsTopology } from '../../test/support/nats-topology-for-tests.ts';
import { silentLog } from '../../test/support/test-logger.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import type { ValidatedBatch } from '../api/validate-submit.ts';
import { Dispatcher, jobIdOf } from '../dispatch/dispatcher.ts';
import { createMetrics } from '../metrics.ts';
import { Reissuer } from '../reissue/reissuer.ts';
import { BatchStore, type StoredPlan } from '../store/batch-store.ts';
import type { LedgerDelta } from '../store/ledger-delta.ts';
import { SplitBook } from '../witness/split-book.ts';
import { witnessJobId, witnessQueue, witnessQueuePrefix } from '../witness/witness-queue.ts';
import { Housekeeper } from './housekeeper.ts';

const redisClient = useRedisServer();
const nats = useNatsTopology('housekeeping');
const log = silentLog;

const batch: ValidatedBatch = {
  batchId: 'W',
  bankId: 'bank-a',
  idempotencyKey: 'key-W',
  requestHash: 'hash-W',
  intents: [{}, {}, {}] as ValidatedBatch['intents'],
  intentNullifiers: ['W-n1', 'W-n2', 'W-n3'],
};
/** Three transfers in three proofs of k = 1. */
const plan: StoredPlan = {
  version: 1,
  points: [0, 1, 2, 3].map((i) => ({ noteRoot: String(i + 1), noteIndex: 2 * i, nullRoot: String(i + 11) })),
  proofs: [0, 1, 2].map((index) => ({ index, input: { x: String(index) }, publicSignals: ['1', '2'], transfers: [index] })),
};
const delta: LedgerDelta = {
  depth: 4,
  nullDepth: 5,
  sizeBefore: 0,
  keysBefore: 0,
  noteRootBefore: '1',
  noteRootAfter: '4',
  nullRootAfter: '14',
  leaves: ['5', '6', '7', '8', '9', '10'],
  keys: ['21', '22', '23', '24', '25', '26', '27', '28', '29'],
  added: [],
  removed: [],
};

describe('Housekeeper: split attempts the witness stage will never publish (real redis-server and nats-server)', () => {
  it('re-issues an attempt the witness queue failed for good or never held, after the grace time; leaves one a stage is preparing', async () => {
    const { nc, topo } = nats();
    const redis = redisClient();
    const store = new BatchStore(redis, 'hk:');
    const witness = witnessQueue({ redis, prefix: store.prefix, log });
    const metrics = createMetrics();
    const dispatcher = new Dispatcher({
      nc,
      names: topo.names,
      jobsKv: topo.jobs,
      store,
      artifact: 'a'.repeat(64),
      log,
      metrics,
      witness,
      gatewaySealKey: (await generateSealKeyPair()).publicKeyHex,
      shares: topo.shares,
    });
    const failed: string[] = [];
    const reissuer = new Reissuer({ store, dispatcher, metrics, log, maxAttempts: 5, failBatch: async (id) => void failed.push(id) });
    const lostGraceMs = 60_000;
    const housekeeper = new Housekeeper({ names: topo.names, jsm: topo.jsm, store, reissuer, log, intervalMs: 1_000, lostGraceMs, jobTimeoutMs: 35 * 60_000, book: new SplitBook(redis, store.prefix), witness });

    expect((await store.create(batch)).kind).toBe('created');
    expect((await store.recordPlan('W', { plan, delta, replan: false, message: 'planned' })).ok).toBe(true);
    expect(await dispatcher.dispatchBatch('W', 1)).toBe(3);
    const attempt = (index: number, a: number) => jobIdOf('W', 1, index, a);
    for (const i of [0, 1, 2]) expect(await witness.pending(attempt(i, 1))).toBe(true);

    // Proof 2: a kill between recording the attempt and queueing it leaves nothing in the queue.
    const queue = new Queue('witness', { connection: redis, prefix: witnessQueuePrefix(store.prefix) });
    await (await queue.getJob(witnessJobId(attempt(2, 1))))!.remove();
    // A witness stage fails proof 0 for good (as BullMQ does with an attempt stalled too often) and
    // holds proof 1 without finishing it.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const stage = new BullWorker(
      'witness',
      async (job) => {
        if ((job.data as { index: number }).index === 0) throw new UnrecoverableError('stalled more than allowable limit');
        await held;
      },
      { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix: witnessQueuePrefix(store.prefix), concurrency: 1 },
    );
    try {
      await expect.poll(async () => [await queue.getJobState(witnessJobId(attempt(0, 1))), await queue.getJobState(witnessJobId(attempt(1, 1)))], { timeout: 15_000 }).toEqual(['failed', 'active']);
      expect(await witness.pending(attempt(0, 1))).toBe(false);
      expect(await witness.pending(attempt(1, 1))).toBe(true);
      expect(await witness.pending(attempt(2, 1))).toBe(false);

      // First seen: within the grace time (halves may still be on their way to the book) nothing moves.
      const now = Date.now();
      await housekeeper.sweep(now);
      await housekeeper.sweep(now + lostGraceMs - 1);
      for (const i of [0, 1, 2]) expect(await store.attempt('W', i)).toBe(1);

      // After it: proofs 0 and 2 get their next attempt, queued for the witness stage; proof 1 is left alone.
      await housekeeper.sweep(now + lostGraceMs);
      expect([await store.attempt('W', 0), await store.attempt('W', 1), await store.attempt('W', 2)]).toEqual([2, 1, 2]);
      expect(await queue.getJobState(witnessJobId(attempt(0, 2)))).not.toBe('unknown');
      expect(await queue.getJobState(witnessJobId(attempt(2, 2)))).not.toBe('unknown');
      expect(failed).toEqual([]);
      // Idempotent: the next sweep finds the new attempts queued and re-issues nothing.
      await housekeeper.sweep(now + 2 * lostGraceMs);
      expect([await store.attempt('W', 0), await store.attempt('W', 1), await store.attempt('W', 2)]).toEqual([2, 1, 2]);
    } finally {
      release();
      await stage.close(true);
      await queue.close();
      await witness.close();
    }
  });
});
