import { status } from '@grpc/grpc-js';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchSigningBytes } from '../../protocol/bank-request-signing.ts';
import { batchIdOf } from '../../orchestrator/api/validate-submit.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { BankApiError, requestNonce, type WatchedEvent } from '../../cli/bank/bank-client.ts';
import { Swarm } from '../support/swarm-harness.ts';

const STATE_RANK: Record<string, number> = { ACCEPTED: 0, PLANNED: 1, PROVING: 2, VERIFIED: 3, SETTLED: 4, FAILED: 5 };

function expectOrdered(events: WatchedEvent[], transfers: number): void {
  events.forEach((e, i) => expect(e.seq).toBe(i + 1));
  for (let i = 1; i < events.length; i++) expect(STATE_RANK[events[i]!.state]).toBeGreaterThanOrEqual(STATE_RANK[events[i - 1]!.state]!);
  for (let i = 1; i < events.length; i++) expect(events[i]!.verified).toBeGreaterThanOrEqual(events[i - 1]!.verified);
  expect(events[0]!.state).toBe('ACCEPTED');
  expect(events.at(-1)!.state).toBe('VERIFIED');
  expect(events.at(-1)!.verified).toBe(transfers);
}

let swarm: Swarm;
/** A final batch is pruned to its audit record this long after it became final. */
const RETENTION_MS = 30_000;
/** The batches of the 16-transfer load (pruned by the last test). */
const flowBatches: string[] = [];
/** Redis keys that are a batch's hash (its audit record once pruned); pruning leaves their number alone. */
const BATCH_HASH = /^drex:dev:batch:0x[0-9a-f]{64}$/;

beforeAll(async () => {
  swarm = await new Swarm({ workers: 2, orchestratorArgs: ['--retention-ms', String(RETENTION_MS)] }).start();
  const funding = await swarm.run('central-bank', swarm.depositIntents(2), 'funding');
  expect(funding.last.state).toBe('VERIFIED');
}, 600_000);

afterAll(async () => {
  await swarm?.stop();
}, 120_000);

describe('the swarm pipeline (real NATS JetStream, Redis, workers and proofs)', () => {
  it('completes a 16-transfer load from two banks, every transfer proved once, events in order', async () => {
    const accepted0 = await swarm.metric('drex_results_accepted_total');
    const [a, b] = await Promise.all([
      swarm.run('bank-a', swarm.transferIntents('bank-a', 8), 'flow-a'),
      swarm.run('bank-b', swarm.transferIntents('bank-b', 8), 'flow-b'),
    ]);
    for (const r of [a, b]) {
      flowBatches.push(r.batchId);
      expectOrdered(r.events, 8);
      expect(await swarm.client(r.batchId === a.batchId ? 'bank-a' : 'bank-b').get(r.batchId)).toMatchObject({ state: 'BATCH_STATE_VERIFIED', verified: 8 });
    }
    // One accepted result per transfer: nothing was proved twice, nothing rejected.
    expect((await swarm.metric('drex_results_accepted_total')) - accepted0).toBe(16);
    expect(await swarm.metric('drex_results_rejected_total')).toBe(0);
  }, 900_000);

  it('returns one batch for the same idempotency key, and refuses the key with other content', async () => {
    // An unfunded sender: the batch fails at planning, so no proving time is spent here.
    const intents = swarm.transferIntents('bank-a', 2).map((t) => ({ ...t }));
    const client = swarm.client('bank-a');
    const unfunded = [swarm.unfundedIntent()];
    const first = await client.submit(unfunded, 'idem-1');
    const again = await client.submit(unfunded, 'idem-1', { timestampMs: Date.now() + 1 });
    expect(again.batchId).toBe(first.batchId);
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    const err = await client.submit(intents, 'idem-1').catch((e: unknown) => e as BankApiError);
    const events = await client.watch(first.batchId);
    expect(events.at(-1)).toMatchObject({ state: 'FAILED', errorCode: 'PLANNING_FAILED' });
    expect(events.at(-1)!.message).toMatch(/INSUFFICIENT|holds 0/);
    expect(err).toBeInstanceOf(BankApiError);
    expect((err as BankApiError).grpcCode).toBe(status.FAILED_PRECONDITION);
    expect((err as BankApiError).code).toBe('IDEMPOTENCY_CONFLICT');
    const redis = new Redis(swarm.redis.url);
    const batches = (await redis.keys('drex:dev:batch:*')).filter((k) => /^drex:dev:batch:0x[0-9a-f]{64}$/.test(k));
    expect(batches.filter((k) => k.endsWith(first.batchId))).toHaveLength(1);
    redis.disconnect();
  });

  it('answers bad requests with a specific status and field, and stores nothing', async () => {
    const redis = new Redis(swarm.redis.url);
    const keysBefore = (await redis.keys('drex:dev:batch:*')).filter((k) => BATCH_HASH.test(k)).length;
    const client = swarm.client('bank-a');
    const good = swarm.transferIntents('bank-a', 2);
    const cases: { name: string; run: () => Promise<unknown>; grpc: status; code: string; field: RegExp; key: string }[] = [
      {
        name: 'unknown bank',
        run: () => swarm.client('bank-zz').submit(good, 'bad-1'),
        grpc: status.UNAUTHENTICATED,
        code: 'UNKNOWN_BANK',
        field: /^bank_id$/,
        key: 'bad-1',
      },
      {
        name: 'bad signature',
        run: () => {
          const ts = String(Date.now());
          const nonce = requestNonce();
          const sig = Buffer.from(devBankIdentity('bank-b').sign(batchSigningBytes({ bankId: 'bank-a', idempotencyKey: 'bad-2', timestampMs: ts, nonce, transfers: good })), 'hex');
          return client.submitRaw({ bank_id: 'bank-a', idempotency_key: 'bad-2', transfers: good, timestamp_ms: ts, nonce, signature: sig });
        },
        grpc: status.UNAUTHENTICATED,
        code: 'BAD_BANK_SIGNATURE',
        field: /^signature$/,
        key: 'bad-2',
      },
      {
        name: 'malformed intent',
        run: () => client.submit([{ ...good[0]!, sender: 'not-a-number' }], 'bad-3'),
        grpc: status.INVALID_ARGUMENT,
        code: 'INVALID_FIELD',
        field: /^transfers\[0\]\.sender$/,
        key: 'bad-3',
      },
      {
        name: 'negative amount',
        run: () => client.submit([good[0]!, { ...good[1]!, amount: '-5' }], 'bad-4'),
        grpc: status.INVALID_ARGUMENT,
        code: 'INVALID_FIELD',
        field: /^transfers\[1\]\.amount$/,
        key: 'bad-4',
      },
      {
        name: 'oversized amount',
        run: () => client.submit([{ ...good[0]!, amount: String(1n << 64n) }], 'bad-5'),
        grpc: status.INVALID_ARGUMENT,
        code: 'INVALID_FIELD',
        field: /^transfers\[0\]\.amount$/,
        key: 'bad-5',
      },
      { name: 'empty batch', run: () => client.submit([], 'bad-6'), grpc: status.INVALID_ARGUMENT, code: 'EMPTY_BATCH', field: /^transfers$/, key: 'bad-6' },
      {
        name: 'oversized batch',
        run: () => client.submit(Array.from({ length: 257 }, () => good[0]!), 'bad-7'),
        grpc: status.INVALID_ARGUMENT,
        code: 'BATCH_TOO_LARGE',
        field: /^transfers$/,
        key: 'bad-7',
      },
      {
        name: 'duplicate nonce',
        run: () => client.submit([good[0]!, good[1]!, { ...good[0]! }], 'bad-8'),
        grpc: status.INVALID_ARGUMENT,
        code: 'DUPLICATE_NONCE',
        field: /^transfers\[2\]\.nonce$/,
        key: 'bad-8',
      },
      {
        name: 'intent signed for another deployment',
        run: () => {
          const swarmDomain = swarm.domain;
          swarm.domain = swarmDomain + 1n;
          try {
            return client.submit(swarm.transferIntents('bank-a', 1), 'bad-10');
          } finally {
            swarm.domain = swarmDomain;
          }
        },
        grpc: status.INVALID_ARGUMENT,
        code: 'BAD_INTENT_SIGNATURE',
        field: /^transfers\[0\]\.signature$/,
        key: 'bad-10',
      },
      {
        name: 'unknown intent kind',
        run: () => client.submit([{ ...good[0]!, kind: 'mint' }], 'bad-11'),
        grpc: status.INVALID_ARGUMENT,
        code: 'INVALID_FIELD',
        field: /^transfers\[0\]\.kind$/,
        key: 'bad-11',
      },
      {
        name: 'intent signed by someone else',
        run: () => client.submit([{ ...good[0]!, amount: '999' }], 'bad-9'),
        grpc: status.INVALID_ARGUMENT,
        code: 'BAD_INTENT_SIGNATURE',
        field: /^transfers\[0\]\.signature$/,
        key: 'bad-9',
      },
    ];
    for (const c of cases) {
      const err = await c.run().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, c.name).toBeInstanceOf(BankApiError);
      const e = err as BankApiError;
      expect(e.grpcCode, c.name).toBe(c.grpc);
      expect(e.code, c.name).toBe(c.code);
      expect(e.field ?? '', c.name).toMatch(c.field);
      expect(e.message, c.name).toContain(e.field ?? '');
      const bank = c.name === 'unknown bank' ? 'bank-zz' : 'bank-a';
      const lookup = await swarm.client('bank-a').get(batchIdOf('dev', bank, c.key)).catch((x: unknown) => x as BankApiError);
      expect((lookup as BankApiError).code, c.name).toBe('BATCH_NOT_FOUND');
    }
    expect((await redis.keys('drex:dev:batch:*')).filter((k) => BATCH_HASH.test(k)).length).toBe(keysBefore);
    redis.disconnect();
  });

  it('prunes final batches to their audit records after the retention time: no other Redis key, no job expectation', async () => {
    expect(flowBatches).toHaveLength(2);
    const redis = new Redis(swarm.redis.url);
    const nc = await connect({ servers: swarm.nats.url, ...(await swarm.connectOptions()) });
    try {
      const jobs = await new Kvm(nc).open('drex_dev_jobs');
      for (const [i, id] of flowBatches.entries()) {
        const bank = i === 0 ? 'bank-a' : 'bank-b';
        const deadline = Date.now() + RETENTION_MS + 60_000;
        while ((await redis.hget(`drex:dev:batch:${id}`, 'prunedMs')) === null) {
          expect(Date.now(), `batch ${id} pruned in time`).toBeLessThan(deadline);
          await new Promise((r) => setTimeout(r, 1000));
        }
        expect((await redis.keys('drex:dev:*')).filter((k) => k.includes(id))).toEqual([`drex:dev:batch:${id}`]);
        const kvKeys: string[] = [];
        for await (const k of await jobs.keys(`${id}.>`)) kvKeys.push(k);
        expect(kvKeys).toEqual([]);
        // GetBatch and WatchBatch answer from the audit record.
        const rec = await swarm.client(bank).get(id);
        expect(rec).toMatchObject({ batch_id: id, state: 'BATCH_STATE_VERIFIED', transfers: 8, verified: 8 });
        expect(String(rec.root_before)).toMatch(/^\d+$/);
        expect(String(rec.root_after)).toMatch(/^\d+$/);
        const events = await swarm.client(bank).watch(id, () => {}, { finalStates: new Set(['VERIFIED']) });
        expect(events).toHaveLength(1);
        expect(events[0]!.state).toBe('VERIFIED');
      }
    } finally {
      redis.disconnect();
      await nc.close();
    }
  }, 180_000);
});
