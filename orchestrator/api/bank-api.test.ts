import { credentials, status } from '@grpc/grpc-js';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCrypto, type Crypto } from '../../circuits/model/crypto.ts';
import { apiError, BankApiError, BankClient, requestNonce, type BankTls } from '../../cli/bank/bank-client.ts';
import { sampleIntents } from '../../cli/bank/sample-intents.ts';
import { loadBankApi } from '../../protocol/bank-proto.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { makeTestPki, type TestPki } from '../../test/support/test-certificates.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { devBankIdentity, devBankRegistry } from '../banks/bank-registry.ts';
import { createMetrics } from '../metrics.ts';
import { BatchStore } from '../store/batch-store.ts';
import { batchService, type BankQuotas, type DeploymentInfo } from './batch-service.ts';
import { EventFanout } from './event-fanout.ts';
import { startGrpcServer, type TlsFiles } from './grpc-server.ts';
import { DEFAULT_LIMITS } from './validate-submit.ts';

// The bank API against a real redis-server and a real gRPC server: authentication of every call,
// replay and freshness checks, ownership of batches, per-bank caps and TLS.

const redis = useRedisServer();
const SKEW = DEFAULT_LIMITS.maxClockSkewMs;
const QUOTAS: BankQuotas = { maxWatchersPerBank: 2, maxOpenBatchesPerBank: 3 };
/** The deployment the servers here answer for (no ledger): intents are signed in its domain. */
const DOMAIN = 0xd0_4a1e5n;
const LEDGER: DeploymentInfo = { domain: DOMAIN, transfersPerProof: 2, minter: 4242n, complianceLimit: 5_000_000n, chainId: 0 };

let crypto: Crypto;
let pki: TestPki;
let n = 0;
const stops: (() => Promise<void>)[] = [];
const log = testLogger('bank-api-test');

beforeAll(async () => {
  crypto = await loadCrypto();
  pki = makeTestPki('drex-test-ca', ['bank-b']);
});

afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** A bank API server on its own Redis prefix (and, with `tls`, over TLS), with clients per bank. */
async function serve(o: { tls?: TlsFiles; quotas?: BankQuotas; ledger?: DeploymentInfo } = {}) {
  const store = new BatchStore(redis(), `api${++n}:`);
  const fanout = new EventFanout({ redis: redis(), store, log });
  const metrics = createMetrics();
  const server = await startGrpcServer({
    impl: batchService({ crypto, banks: devBankRegistry(), store, redis: redis(), fanout, limits: DEFAULT_LIMITS, quotas: o.quotas ?? QUOTAS, log, metrics, settles: false, onAccepted: () => {}, deployment: 'test', ledger: o.ledger ?? LEDGER }),
    host: '127.0.0.1',
    port: 0,
    tls: o.tls,
  });
  const clients: BankClient[] = [];
  const client = (bankId: string, tls?: BankTls) => {
    const c = new BankClient({ address: server.address, bankId, identity: devBankIdentity(bankId), tls });
    clients.push(c);
    return c;
  };
  stops.push(async () => {
    for (const c of clients) c.close();
    await server.stop(100);
    await fanout.close();
  });
  return { store, fanout, metrics, server, client };
}

/** The BankApiError a call ends with (fails the test when it succeeds). */
async function refusal(p: Promise<unknown>): Promise<BankApiError> {
  const out = await p.then(
    () => new Error('expected a refusal, the call succeeded'),
    (e: unknown) => e,
  );
  expect(out).toBeInstanceOf(BankApiError);
  return out as BankApiError;
}

/** A watch stream's first event, or its error. */
function firstOf(stream: ClientReadableStream<Record<string, string | number>>): Promise<Record<string, string | number>> {
  return new Promise((resolve, reject) => {
    stream.once('data', resolve);
    stream.once('error', (e: ServiceError) => reject(apiError(e)));
  });
}

let keyN = 0;
const submit = (c: BankClient, bank: string) => c.submit(sampleIntents(crypto, DOMAIN, bank, 1), `bank-api-${++keyN}`);

/** Sends a GetDeployment request as given, on a client of its own (for tests of the server's checks). */
function deploymentRaw(address: string, req: Record<string, unknown>): Promise<Record<string, string | number>> {
  const { Client } = loadBankApi();
  const c = new Client(address, credentials.createInsecure()) as unknown as {
    GetDeployment(r: Record<string, unknown>, cb: (err: ServiceError | null, res: Record<string, string | number>) => void): void;
    close(): void;
  };
  return new Promise<Record<string, string | number>>((resolve, reject) =>
    c.GetDeployment(req, (err, res) => (err ? reject(apiError(err)) : resolve(res))),
  ).finally(() => c.close());
}

describe('bank API: a bank sees only its own batches', () => {
  it('answers bank B reading or watching bank A\'s batch exactly as a batch that does not exist', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const b = api.client('bank-b');
    const { batchId } = await submit(a, 'bank-a');
    expect(await a.get(batchId)).toMatchObject({ batch_id: batchId, bank_id: 'bank-a', state: 'BATCH_STATE_ACCEPTED', transfers: 1, proofs: 0 });

    const read = await refusal(b.get(batchId));
    expect(read).toMatchObject({ grpcCode: status.NOT_FOUND, code: ErrorCode.BATCH_NOT_FOUND, field: 'batch_id' });
    const missingId = `0x${'ab'.repeat(32)}`;
    const missing = await refusal(b.get(missingId));
    expect(read.message.replace(batchId, 'ID')).toBe(missing.message.replace(missingId, 'ID'));

    const watched = await refusal(firstOf(b.watchRaw(b.signedRead('WatchBatch', batchId))));
    expect(watched).toMatchObject({ grpcCode: status.NOT_FOUND, code: ErrorCode.BATCH_NOT_FOUND });
    await expect(b.watch(batchId, () => {}, { retries: 0 })).rejects.toMatchObject({ code: ErrorCode.BATCH_NOT_FOUND });
    // Its owner watches it.
    expect(await firstOf(a.watchRaw(a.signedRead('WatchBatch', batchId)))).toMatchObject({ seq: '1', state: 'BATCH_STATE_ACCEPTED' });
  });

  it('refuses an unsigned read, a read signed by another bank\'s key, and a signature moved to another batch or method', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const { batchId } = await submit(a, 'bank-a');
    const { batchId: other } = await submit(a, 'bank-a');
    const badSig = { grpcCode: status.UNAUTHENTICATED, code: ErrorCode.BAD_BANK_SIGNATURE };
    const { signature: _, ...unsigned } = a.signedRead('GetBatch', batchId);
    expect(await refusal(a.getRaw(unsigned))).toMatchObject(badSig);
    expect(await refusal(a.getRaw({ batch_id: batchId }))).toMatchObject({ grpcCode: status.UNAUTHENTICATED, code: ErrorCode.UNKNOWN_BANK });
    // bank-b's key, claiming to be bank-a.
    const forged = new BankClient({ address: api.server.address, bankId: 'bank-a', identity: devBankIdentity('bank-b') });
    try {
      expect(await refusal(forged.get(batchId))).toMatchObject(badSig);
    } finally {
      forged.close();
    }
    expect(await refusal(a.getRaw({ ...a.signedRead('GetBatch', batchId), batch_id: other }))).toMatchObject(badSig);
    const asWatch = a.signedRead('WatchBatch', batchId);
    expect(await refusal(a.getRaw({ ...asWatch, from_seq: undefined }))).toMatchObject(badSig);
    expect(await refusal(firstOf(a.watchRaw({ ...a.signedRead('WatchBatch', batchId), from_seq: '1' })))).toMatchObject(badSig);
  });
});

describe('bank API: the deployment', () => {
  it('answers a signed GetDeployment with the domain, k and policy intents are signed for', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    expect(await a.deployment()).toEqual({ deployment: 'test', domain: DOMAIN, transfersPerProof: 2, minter: 4242n, complianceLimit: 5_000_000n, chainId: 0, settlement: '' });
    const settlement = `0x${'5e'.repeat(20)}`;
    const onChain = await serve({ ledger: { ...LEDGER, domain: 99n, transfersPerProof: 4, chainId: 1337, settlement } });
    expect(await onChain.client('bank-b').deployment()).toMatchObject({ domain: 99n, transfersPerProof: 4, chainId: 1337, settlement });
  });

  it('refuses an unsigned, forged, replayed or re-targeted GetDeployment', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const badSig = { grpcCode: status.UNAUTHENTICATED, code: ErrorCode.BAD_BANK_SIGNATURE };
    const signed = a.signedRead('GetDeployment', '');
    const { signature: _, ...unsigned } = signed;
    expect(await refusal(deploymentRaw(api.server.address, unsigned))).toMatchObject(badSig);
    expect(await refusal(deploymentRaw(api.server.address, {}))).toMatchObject({ grpcCode: status.UNAUTHENTICATED, code: ErrorCode.UNKNOWN_BANK, field: 'bank_id' });
    const forged = new BankClient({ address: api.server.address, bankId: 'bank-a', identity: devBankIdentity('bank-b') });
    try {
      expect(await refusal(forged.deployment())).toMatchObject(badSig);
    } finally {
      forged.close();
    }
    // A GetBatch signature is not a GetDeployment signature.
    const { batch_id: _id, ...asGet } = a.signedRead('GetBatch', '');
    expect(await refusal(deploymentRaw(api.server.address, asGet))).toMatchObject(badSig);
    // The signed request passes once; sent again it is a replay.
    expect(await deploymentRaw(api.server.address, signed)).toMatchObject({ domain: String(DOMAIN), transfers_per_proof: 2 });
    expect(await refusal(deploymentRaw(api.server.address, signed))).toMatchObject({ grpcCode: status.UNAUTHENTICATED, code: ErrorCode.REQUEST_REPLAYED });
  });

  it('accepts only intents signed in the deployment\'s domain', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const elsewhere = await refusal(a.submit(sampleIntents(crypto, DOMAIN + 1n, 'bank-a', 2), 'other-domain'));
    expect(elsewhere).toMatchObject({ grpcCode: status.INVALID_ARGUMENT, code: ErrorCode.BAD_INTENT_SIGNATURE, field: 'transfers[0].signature' });
    expect(await a.submit(sampleIntents(crypto, (await a.deployment()).domain, 'bank-a', 2), 'own-domain')).toMatchObject({ state: 'ACCEPTED', duplicate: false });
  });
});

describe('bank API: replays and stale requests', () => {
  it('refuses a replayed GetBatch, WatchBatch and SubmitBatch as REQUEST_REPLAYED, and remembers the nonce for the window only', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const { batchId } = await submit(a, 'bank-a');
    const replayed = { grpcCode: status.UNAUTHENTICATED, code: ErrorCode.REQUEST_REPLAYED, field: 'nonce' };

    const get = a.signedRead('GetBatch', batchId);
    expect(await a.getRaw(get)).toMatchObject({ batch_id: batchId });
    expect(await refusal(a.getRaw(get))).toMatchObject(replayed);

    const watch = a.signedRead('WatchBatch', batchId);
    const first = a.watchRaw(watch);
    expect(await firstOf(first)).toMatchObject({ seq: '1' });
    first.cancel();
    expect(await refusal(firstOf(a.watchRaw(watch)))).toMatchObject(replayed);

    // A whole SubmitBatch request sent again: refused, even though a retry of the batch is welcome.
    const intents = sampleIntents(crypto, DOMAIN, 'bank-a', 1);
    const nonce = requestNonce();
    const ts = Date.now();
    expect((await a.submit(intents, 'replayed-submit', { nonce, timestampMs: ts })).duplicate).toBe(false);
    expect(await refusal(a.submit(intents, 'replayed-submit', { nonce, timestampMs: ts }))).toMatchObject(replayed);
    expect((await a.submit(intents, 'replayed-submit')).duplicate).toBe(true);

    // The nonce is kept under the deployment's prefix for twice the window (plus a second), no longer.
    const ttl = await redis().pttl(`${api.store.prefix}request-nonce:bank-a:${nonce}`);
    expect(ttl).toBeGreaterThan(2 * SKEW - 10_000);
    expect(ttl).toBeLessThanOrEqual(2 * SKEW + 1_000);
    // Nonces are per bank: bank-b may use the same one.
    const b = api.client('bank-b');
    const { batchId: bBatch } = await submit(b, 'bank-b');
    expect(await b.getRaw(b.signedRead('GetBatch', bBatch, '0', { nonce: get.nonce as string }))).toMatchObject({ batch_id: bBatch });
  });

  it('refuses timestamps outside the clock-skew window either way as REQUEST_EXPIRED, and spends no nonce on them', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const { batchId } = await submit(a, 'bank-a');
    const expired = { grpcCode: status.UNAUTHENTICATED, code: ErrorCode.REQUEST_EXPIRED, field: 'timestamp_ms' };
    const nonce = requestNonce();
    expect(await refusal(a.getRaw(a.signedRead('GetBatch', batchId, '0', { timestampMs: Date.now() - SKEW - 5_000, nonce })))).toMatchObject(expired);
    expect(await refusal(a.getRaw(a.signedRead('GetBatch', batchId, '0', { timestampMs: Date.now() + SKEW + 5_000 })))).toMatchObject(expired);
    expect(await refusal(firstOf(a.watchRaw(a.signedRead('WatchBatch', batchId, '0', { timestampMs: Date.now() - SKEW - 5_000 }))))).toMatchObject(expired);
    expect(await refusal(a.submit(sampleIntents(crypto, DOMAIN, 'bank-a', 1), 'stale-submit', { timestampMs: Date.now() - SKEW - 5_000 }))).toMatchObject(expired);
    // Within the window it passes (the refused request did not spend its nonce).
    expect(await a.getRaw(a.signedRead('GetBatch', batchId, '0', { timestampMs: Date.now() - SKEW + 10_000, nonce }))).toMatchObject({ batch_id: batchId });
    // A malformed nonce is refused as such.
    expect(await refusal(a.getRaw(a.signedRead('GetBatch', batchId, '0', { nonce: 'short' })))).toMatchObject({ grpcCode: status.INVALID_ARGUMENT, field: 'nonce' });
  });
});

describe('bank API: per-bank caps', () => {
  it('holds the watcher cap per bank (RESOURCE_EXHAUSTED, TOO_MANY_WATCHERS) and frees a slot when a watch ends', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const b = api.client('bank-b');
    const { batchId } = await submit(a, 'bank-a');
    const { batchId: bBatch } = await submit(b, 'bank-b');
    const open = [a.watchRaw(a.signedRead('WatchBatch', batchId)), a.watchRaw(a.signedRead('WatchBatch', batchId))];
    for (const s of open) await firstOf(s);
    const third = await refusal(firstOf(a.watchRaw(a.signedRead('WatchBatch', batchId))));
    expect(third).toMatchObject({ grpcCode: status.RESOURCE_EXHAUSTED, code: ErrorCode.TOO_MANY_WATCHERS });
    expect(await api.metrics.requestsRejected.get()).toMatchObject({ values: [expect.objectContaining({ labels: { code: 'TOO_MANY_WATCHERS' }, value: 1 })] });
    // Another bank has slots of its own.
    const bWatch = b.watchRaw(b.signedRead('WatchBatch', bBatch));
    await firstOf(bWatch);
    // A cancelled watch gives its slot back.
    open[0]!.cancel();
    let again: Record<string, string | number> | undefined;
    for (let i = 0; i < 50 && !again; i++) {
      again = await firstOf(a.watchRaw(a.signedRead('WatchBatch', batchId))).catch(async (e: BankApiError) => {
        expect(e.code).toBe(ErrorCode.TOO_MANY_WATCHERS);
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(again).toMatchObject({ seq: '1' });
  });

  it('caps the batches of a bank that are not final (RESOURCE_EXHAUSTED, TOO_MANY_OPEN_BATCHES), answers retries, and counts a final batch out', async () => {
    const api = await serve();
    const a = api.client('bank-a');
    const intents = sampleIntents(crypto, DOMAIN, 'bank-a', 1);
    const first = await a.submit(intents, 'quota-1');
    await submit(a, 'bank-a');
    await submit(a, 'bank-a');
    const over = await refusal(submit(a, 'bank-a'));
    expect(over).toMatchObject({ grpcCode: status.RESOURCE_EXHAUSTED, code: ErrorCode.TOO_MANY_OPEN_BATCHES });
    expect(over.message).toContain('at most 3');
    // A retry of a stored batch is still answered; another bank is not affected.
    expect(await a.submit(intents, 'quota-1')).toMatchObject({ batchId: first.batchId, duplicate: true });
    await submit(api.client('bank-b'), 'bank-b');
    // Once a batch is final, there is room for one more.
    expect((await api.store.fail(first.batchId, { eventCode: 'PLANNING_FAILED', code: 'PLANNING_FAILED', message: 'test', intentNullifiers: [], planningRefused: true })).ok).toBe(true);
    await submit(a, 'bank-a');
    expect(await refusal(submit(a, 'bank-a'))).toMatchObject({ code: ErrorCode.TOO_MANY_OPEN_BATCHES });
  });
});

describe('bank API: status streaming', () => {
  it('follows many watches over one shared Redis connection and delivers live events to each', async () => {
    const api = await serve({ quotas: { maxWatchersPerBank: 10, maxOpenBatchesPerBank: 10 } });
    const a = api.client('bank-a');
    const ids = [(await submit(a, 'bank-a')).batchId, (await submit(a, 'bank-a')).batchId];
    const connections = async () => String(await redis().client('LIST')).trim().split('\n').length;
    const before = await connections();
    const seen = new Map<string, string[]>();
    const streams = ids.flatMap((id) =>
      [0, 1, 2].map(() => {
        const s = a.watchRaw(a.signedRead('WatchBatch', id));
        s.on('data', (m: Record<string, string | number>) => seen.set(`${id}`, [...(seen.get(id) ?? []), String(m.state)]));
        s.on('error', () => {});
        return s;
      }),
    );
    await until(() => (seen.get(ids[0]!)?.length ?? 0) === 3 && (seen.get(ids[1]!)?.length ?? 0) === 3);
    await until(() => api.fanout.size() === 6);
    const list = String(await redis().client('LIST'));
    expect(list.split('\n').filter((l) => l.includes('name=drex-watch-fanout'))).toHaveLength(1);
    // Six watches, one connection more than before (the fan-out's), not six.
    expect(await connections()).toBe(before + 1);
    // A transition wakes every watcher of that batch only.
    expect((await api.store.fail(ids[1]!, { eventCode: 'PLANNING_FAILED', code: 'PLANNING_FAILED', message: 'refused in test', intentNullifiers: [], planningRefused: true })).ok).toBe(true);
    await until(() => seen.get(ids[1]!)?.length === 6);
    expect(seen.get(ids[1]!)!.filter((s) => s === 'BATCH_STATE_FAILED')).toHaveLength(3);
    expect(seen.get(ids[0]!)).toHaveLength(3);
    for (const s of streams) s.cancel();
  });
});

describe('bank API: TLS', () => {
  it('serves TLS without client certificates to a bank that trusts the CA; refuses plaintext and another CA', async () => {
    const api = await serve({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    const a = api.client('bank-a', { ca: pki.ca });
    const { batchId } = await submit(a, 'bank-a');
    expect(await a.get(batchId)).toMatchObject({ batch_id: batchId, state: 'BATCH_STATE_ACCEPTED' });
    expect((await a.recentEvents(batchId, 300)).map((e) => e.state)).toEqual(['ACCEPTED']);
    const plain = api.client('bank-a');
    expect(await refusal(plain.get(batchId))).toMatchObject({ grpcCode: status.UNAVAILABLE });
    const otherPki = makeTestPki('another-ca');
    const wrongCa = api.client('bank-a', { ca: otherPki.ca });
    expect(await refusal(wrongCa.get(batchId))).toMatchObject({ grpcCode: status.UNAVAILABLE });
  });

  it('over mTLS takes the client certificate as the bank: unsigned reads of its own batches only', async () => {
    const api = await serve({ tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca } });
    const a = api.client('bank-a', { ca: pki.ca, ...pki.clients['bank-b']! }); // bank-a's key, bank-b's certificate
    const b = api.client('bank-b', { ca: pki.ca, ...pki.clients['bank-b']! });
    const { batchId } = await submit(b, 'bank-b');
    expect(await b.getRaw({ batch_id: batchId })).toMatchObject({ batch_id: batchId, bank_id: 'bank-b' });
    expect(await refusal(b.getRaw({ batch_id: batchId, bank_id: 'bank-a' }))).toMatchObject({ grpcCode: status.PERMISSION_DENIED });
    // The certificate decides whose batches these are: bank-a's signature over bank-b's connection sees nothing of bank-a.
    expect(await refusal(a.submit(sampleIntents(crypto, DOMAIN, 'bank-a', 1), 'mtls-a'))).toMatchObject({ grpcCode: status.PERMISSION_DENIED });
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
