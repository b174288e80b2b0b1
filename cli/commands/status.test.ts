import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCrypto, type Crypto } from '../../circuits/model/crypto.ts';
import { batchService } from '../../orchestrator/api/batch-service.ts';
import { EventFanout } from '../../orchestrator/api/event-fanout.ts';
import { startGrpcServer } from '../../orchestrator/api/grpc-server.ts';
import { DEFAULT_LIMITS } from '../../orchestrator/api/validate-submit.ts';
import { devBankIdentity, devBankRegistry } from '../../orchestrator/banks/bank-registry.ts';
import { createMetrics } from '../../orchestrator/metrics.ts';
import { BatchStore } from '../../orchestrator/store/batch-store.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { BankClient } from '../bank/bank-client.ts';
import { sampleIntents } from '../bank/sample-intents.ts';

// `drex-swarm status` as a bank runs it, against the real bank API on a real redis-server.

const root = join(import.meta.dirname, '..', '..');
const redis = useRedisServer();
/** The deployment's domain the intents are signed in. */
const DOMAIN = 0x57a7_05n;
let crypto: Crypto;
let address: string;
let store: BatchStore;
let stop: () => Promise<void>;

beforeAll(async () => {
  crypto = await loadCrypto();
  const log = testLogger('status-command-test');
  store = new BatchStore(redis(), 'status-test:');
  const fanout = new EventFanout({ redis: redis(), store, log });
  const server = await startGrpcServer({
    impl: batchService({ crypto, banks: devBankRegistry(), store, redis: redis(), fanout, limits: DEFAULT_LIMITS, log, metrics: createMetrics(), settles: false, onAccepted: () => {}, deployment: 'test', ledger: { domain: DOMAIN, transfersPerProof: 2, minter: 1n, complianceLimit: 1_000_000n, chainId: 0 } }),
    host: '127.0.0.1',
    port: 0,
  });
  address = server.address;
  stop = async () => {
    await server.stop(100);
    await fanout.close();
  };
});

afterAll(async () => {
  await stop?.();
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'drex-swarm.js'), ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

describe('drex-swarm status', () => {
  it('shows the bank its batch as one JSON line, and refuses another bank as not found', async () => {
    const client = new BankClient({ address, bankId: 'bank-a', identity: devBankIdentity('bank-a') });
    const { batchId } = await client.submit(sampleIntents(crypto, DOMAIN, 'bank-a', 2), 'status-cli-1');
    client.close();

    const own = await cli(['status', batchId, '--grpc', address, '--bank', 'bank-a', '--json']);
    expect(own.code).toBe(0);
    const view = JSON.parse(own.stdout.trim()) as Record<string, unknown>;
    expect(view).toMatchObject({ batchId, bank: 'bank-a', state: 'ACCEPTED', transfers: 2, proofs: 0, verified: 0, settlementTx: null, rootBefore: null });
    expect(view.events).toEqual([expect.objectContaining({ seq: 1, state: 'ACCEPTED' })]);

    const text = await cli(['status', batchId, '--grpc', address, '--bank', 'bank-a']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`batch ${batchId} (bank-a)`);
    expect(text.stdout).toMatch(/state\s+ACCEPTED/);
    expect(text.stdout).toMatch(/transfers\s+2\n/);
    expect(text.stdout).toMatch(/#1 .* ACCEPTED/);

    const other = await cli(['status', batchId, '--grpc', address, '--bank', 'bank-b', '--json']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('[BATCH_NOT_FOUND]');
    expect(other.stdout).toBe('');
  });

  it('shows a planned batch\'s proofs: how many its plan needs and how many are verified', async () => {
    const client = new BankClient({ address, bankId: 'bank-a', identity: devBankIdentity('bank-a') });
    const { batchId } = await client.submit(sampleIntents(crypto, DOMAIN, 'bank-a', 3), 'status-cli-2');
    client.close();
    // Three transfers in two proofs of k = 2 (a plan as the planner stores it), one of them verified.
    const points = [0, 4, 6].map((noteIndex) => ({ noteRoot: String(100 + noteIndex), noteIndex, nullRoot: String(200 + noteIndex) }));
    const plan = { version: 1, points, proofs: [[0, 1], [2]].map((transfers, index) => ({ index, input: {}, publicSignals: [], transfers })) };
    const delta = { depth: 4, nullDepth: 5, sizeBefore: 0, keysBefore: 0, noteRootBefore: '100', noteRootAfter: '106', nullRootAfter: '206', leaves: [], keys: [], added: [], removed: [] };
    expect((await store.recordPlan(batchId, { plan, delta, replan: false, message: 'planned 3 transfers in 2 proofs of up to 2' })).ok).toBe(true);
    expect((await store.markProving(batchId, 1, 2)).ok).toBe(true);
    expect((await store.acceptProof(batchId, 1, { index: 1, jobId: 'j1', workerId: 'w', proof: {}, publicSignals: [], proveMs: 1 })).ok).toBe(true);

    const own = await cli(['status', batchId, '--grpc', address, '--bank', 'bank-a', '--json']);
    expect(own.code).toBe(0);
    const view = JSON.parse(own.stdout.trim()) as Record<string, unknown>;
    expect(view).toMatchObject({ state: 'PROVING', transfers: 3, proofs: 2, verified: 1, rootBefore: '100', rootAfter: '106' });
    expect(view.events).toEqual([
      expect.objectContaining({ seq: 1, state: 'ACCEPTED', proofs: 0 }),
      expect.objectContaining({ seq: 2, state: 'PLANNED', proofs: 2, verified: 0, message: 'planned 3 transfers in 2 proofs of up to 2' }),
      expect.objectContaining({ seq: 3, state: 'PROVING', proofs: 2, verified: 0 }),
      expect.objectContaining({ seq: 4, state: 'PROVING', proofs: 2, verified: 1 }),
    ]);

    const text = await cli(['status', batchId, '--grpc', address, '--bank', 'bank-a']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/transfers\s+3 in 2 proofs, 1 verified/);
    expect(text.stdout).toMatch(/#2 .* PLANNED 0\/2 proofs planned 3 transfers/);
    expect(text.stdout).toMatch(/#4 .* PROVING 1\/2 proofs/);
  });

  it('refuses a malformed batch id before calling anyone', async () => {
    const r = await cli(['status', 'not-a-batch', '--grpc', '127.0.0.1:1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('batch id must be 0x and 64 lowercase hex digits');
  });
});
