import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChainReader } from '../../ledger-bridge/client.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import type { ValidatedBatch } from '../api/validate-submit.ts';
import { Reverifier } from '../audit/reverifier.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { BatchStore, type StoredPlan } from '../store/batch-store.ts';
import { httpApp } from './http-app.ts';
import { RegulatorTokens } from './regulator-tokens.ts';

const TOKEN = 'regulator-token-0123456789abcdef';
const OTHER = 'another-token-0123456789abcdef00';
const redis = useRedisServer();
let store: BatchStore;
let metrics: Metrics;
let app: Hono;

/** A batch id: 0x and 64 hex digits from a small number. */
const bid = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const EVIL_BANK = '<script>alert(1)</script>';

const validated = (id: string, bankId: string): ValidatedBatch => ({
  batchId: id,
  bankId,
  idempotencyKey: `k-${id}`,
  requestHash: `h-${id}`,
  intents: [{} as ValidatedBatch['intents'][number], {} as ValidatedBatch['intents'][number]],
  intentNullifiers: [`${id}-a`, `${id}-b`],
});
const plan = (): StoredPlan => ({
  version: 1,
  points: [{ noteRoot: '11', noteIndex: 0, nullRoot: '12' }, { noteRoot: '21', noteIndex: 2, nullRoot: '22' }, { noteRoot: '31', noteIndex: 4, nullRoot: '32' }],
  proofs: [0, 1].map((index) => ({ index, input: {}, publicSignals: [], transfers: [index] })),
});
const delta = () => ({ depth: 4, nullDepth: 5, sizeBefore: 0, keysBefore: 0, noteRootBefore: 'a', noteRootAfter: 'b', nullRootAfter: 'c', leaves: [], keys: [], added: [], removed: [] });
/** Proof 0 in split halves; proof 1 a whole job of an attested TEE worker. */
const ATTESTATION = { moduleId: 'drex-dev-enclave-0123', pcr0: '5c'.repeat(48), root: 'test dev root', untilMs: 1_800_000_000_000 };
const storedProof = (index: number) => ({
  index, jobId: `j${index}`, workerId: 'ab'.repeat(32), ...(index === 0 ? { halfWorkers: ['ab'.repeat(32), 'cd'.repeat(32)] as [string, string] } : { attestation: ATTESTATION }),
  proof: {}, publicSignals: ['11', '21'], proveMs: 1234, enqueuedMs: 1_000, verifiedMs: 4_000,
});

/** Creates batch n of `bank` at `ms`, walked to `to`. */
async function make(n: number, bank: string, ms: number, to: 'ACCEPTED' | 'PROVING' | 'SETTLED' | 'FAILED'): Promise<string> {
  const id = bid(n);
  await store.create(validated(id, bank), ms);
  if (to === 'ACCEPTED') return id;
  if (to === 'FAILED') {
    await store.fail(id, { eventCode: 'PLANNING_FAILED', code: 'PLANNING_FAILED', message: `refused <b>${n}</b>`, intentNullifiers: [], planningRefused: true });
    return id;
  }
  await store.recordPlan(id, { plan: plan(), delta: delta(), replan: false, message: 'planned' });
  await store.markProving(id, 1, 2);
  await store.recordAttempt(id, 0, 1, ms + 10);
  await store.recordAttempt(id, 1, 1, ms + 10);
  await store.acceptProof(id, 1, storedProof(0));
  if (to === 'PROVING') return id;
  await store.acceptProof(id, 1, storedProof(1));
  await store.markSettled(id, 1, { txHash: `0x${'e'.repeat(64)}`, block: 42, aggregationRoot: `0x${'f'.repeat(64)}`, message: 'settled in block 42' });
  return id;
}

const ids: Record<string, string> = {};
beforeAll(async () => {
  store = new BatchStore(redis(), 'api:');
  metrics = createMetrics();
  ids.settled = await make(1, 'bank-a', 1_000, 'SETTLED');
  ids.proving = await make(2, 'bank-b', 2_000, 'PROVING');
  ids.failed = await make(3, 'bank-a', 3_000, 'FAILED');
  ids.accepted = await make(4, 'bank-b', 4_000, 'ACCEPTED');
  ids.evil = await make(5, EVIL_BANK, 5_000, 'ACCEPTED');
  const publicRoutes = new Hono().get('/worker', (c) => c.text('worker page'));
  const reverifier = new Reverifier({ store, vkey: {}, ledger: { chain: createChainReader({ url: 'http://127.0.0.1:9' }), settlement: `0x${'1'.repeat(40)}` } });
  app = httpApp({ registry: metrics.registry, health: async () => ({ status: 'ok', checks: {} }), publicRoutes, regulator: { tokens: new RegulatorTokens([TOKEN, OTHER]), store, reverifier, metrics } });
});

const bearer = (t = TOKEN) => ({ headers: { authorization: `Bearer ${t}` } });
const get = (path: string, init: RequestInit = bearer()) => app.request(path, init);
const json = async (path: string, init?: RequestInit) => {
  const res = await get(path, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> } };
};

/** Every regulator route, with a well-formed id where it takes one. */
const ROUTES: [string, string][] = [
  ['GET', '/api/v1/batches'],
  ['GET', `/api/v1/batches/${bid(1)}`],
  ['GET', `/api/v1/batches/${bid(1)}/jobs`],
  ['POST', `/api/v1/batches/${bid(1)}/reverify`],
  ['GET', '/api/v1/workers'],
  ['GET', '/api/v1/nothing-here'],
  ['GET', '/portal'],
  ['GET', `/portal/batches/${bid(1)}`],
  ['POST', `/portal/batches/${bid(1)}/reverify`],
  ['GET', '/portal/workers'],
];

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate: Bearer on every regulator route without credentials, with a wrong token or cookie, or a malformed header', async () => {
    const attempts: RequestInit[] = [
      {},
      bearer('wrong-token-0123456789abcdefgh'),
      bearer(`${TOKEN}x`),
      bearer(TOKEN.slice(0, -1)),
      { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } },
      { headers: { authorization: 'Bearer' } },
      { headers: { cookie: 'drex_portal=wrong-token-0123456789abcdefgh' } },
    ];
    for (const [method, path] of ROUTES) {
      for (const a of attempts) {
        const res = await app.request(path, { ...a, method });
        expect(res.status, `${method} ${path} ${JSON.stringify(a)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="drex-regulator"/);
        if (path.startsWith('/api')) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
        else expect(await res.text()).toContain('action="/portal/login"');
      }
    }
  });

  it('lets either configured token in, as a bearer token or as the portal cookie', async () => {
    for (const t of [TOKEN, OTHER]) expect((await get('/api/v1/batches', bearer(t))).status).toBe(200);
    expect((await get('/api/v1/batches', { headers: { authorization: `bearer  ${TOKEN}` } })).status).toBe(200);
    expect((await get('/portal', { headers: { cookie: `drex_portal=${TOKEN}` } })).status).toBe(200);
    expect((await get('/api/v1/workers', { headers: { cookie: `drex_portal=${TOKEN}` } })).status).toBe(200);
  });

  it('answers 401 to everything when no token is configured', async () => {
    const closed = httpApp({ registry: metrics.registry, health: async () => ({ status: 'ok', checks: {} }), regulator: { tokens: new RegulatorTokens([]), store } });
    for (const [method, path] of ROUTES) expect((await closed.request(path, { ...bearer(), method })).status).toBe(401);
    const bare = httpApp({ registry: metrics.registry, health: async () => ({ status: 'ok', checks: {} }) });
    expect((await bare.request('/api/v1/batches', bearer())).status).toBe(401);
    expect((await bare.request('/portal', bearer())).status).toBe(401);
  });

  it('signs a person in with a form: a wrong token is refused, a right one sets an HttpOnly SameSite=Strict cookie that opens the portal', async () => {
    const form = (token: string, next = '/portal/workers') => ({ method: 'POST', body: new URLSearchParams({ token, next }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await app.request('/portal/login')).status).toBe(200);
    const bad = await app.request('/portal/login', form('not-the-token-0123456789'));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    expect(await bad.text()).toContain('not valid');
    const ok = await app.request('/portal/login', form(TOKEN));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/portal/workers');
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^drex_portal=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    const pair = cookie.split(';')[0]!;
    expect((await app.request('/portal/workers', { headers: { cookie: pair } })).status).toBe(200);
    // No open redirect: `next` stays in the portal.
    expect((await app.request('/portal/login', form(TOKEN, 'https://evil.example/'))).headers.get('location')).toBe('/portal');
    expect((await app.request('/portal/login', form(TOKEN, '//evil.example/portal'))).headers.get('location')).toBe('/portal');
    // A state-changing request with the cookie from another site's page is refused.
    const cross = await app.request(`/api/v1/batches/${ids.proving}/reverify`, { method: 'POST', headers: { cookie: pair, origin: 'https://evil.example', host: 'localhost' } });
    expect(cross.status).toBe(401);
    const same = await app.request(`/api/v1/batches/${ids.proving}/reverify`, { method: 'POST', headers: { cookie: pair, origin: 'http://localhost', host: 'localhost' } });
    expect(same.status).toBe(409);
    const out = await app.request('/portal/logout', { method: 'POST' });
    expect(out.headers.get('set-cookie')).toMatch(/drex_portal=;.*Max-Age=0/);
  });

  it('keeps /healthz, /metrics and the public routes open', async () => {
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(200);
    const w = await app.request('/worker');
    expect(w.status).toBe(200);
    expect(await w.text()).toBe('worker page');
  });
});

describe('query and path parameters', () => {
  const bad = async (path: string, parameter: string, reason: RegExp, code = 'BAD_QUERY') => {
    const r = await json(path);
    expect(r.status, path).toBe(400);
    expect(r.body.error).toMatchObject({ code, parameter });
    expect(String(r.body.error!.reason)).toMatch(reason);
  };

  it('answers 400 naming the parameter and the reason', async () => {
    await bad('/api/v1/batches?limit=abc', 'limit', /whole number/);
    await bad('/api/v1/batches?limit=0', 'limit', /at least 1/);
    await bad('/api/v1/batches?limit=101', 'limit', /at most 100/);
    await bad('/api/v1/batches?limit=-3', 'limit', /whole number/);
    await bad('/api/v1/batches?state=DONE', 'state', /one of ACCEPTED, PLANNED/);
    await bad('/api/v1/batches?bank=%3Cscript%3E', 'bank', /bank id/);
    await bad('/api/v1/batches?cursor=!!!', 'cursor', /cursor/);
    await bad(`/api/v1/batches?cursor=${Buffer.from('garbage').toString('base64url')}`, 'cursor', /cursor from a previous page/);
    await bad('/api/v1/batches?limt=3', 'limt', /unknown parameter/);
    await bad('/api/v1/batches?limit=1&limit=2', 'limit', /more than once/);
    await bad('/api/v1/batches/0x1234', 'id', /0x and 64 hex digits/, 'BAD_PARAMETER');
    await bad('/api/v1/batches/not-an-id/jobs', 'id', /0x and 64 hex digits/, 'BAD_PARAMETER');
    const r = await json(`/api/v1/batches/${bid(1)}/reverify?x=1`.replace('?x=1', '').replace(bid(1), 'zz'), { ...bearer(), method: 'POST' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'BAD_PARAMETER', parameter: 'id' });
    const page = await get('/portal?limit=abc');
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('limit');
  });

  it('answers 404 with a code for an unknown batch, and counts refusals by code', async () => {
    const before = (await metrics.apiRefused.get()).values.find((v) => v.labels.code === 'BATCH_NOT_FOUND')?.value ?? 0;
    for (const p of [`/api/v1/batches/${bid(99)}`, `/api/v1/batches/${bid(99)}/jobs`]) {
      const r = await json(p);
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'BATCH_NOT_FOUND' });
    }
    expect((await json(`/api/v1/batches/${bid(99)}/reverify`, { ...bearer(), method: 'POST' })).status).toBe(404);
    expect((await get(`/portal/batches/${bid(99)}`)).status).toBe(404);
    const after = (await metrics.apiRefused.get()).values.find((v) => v.labels.code === 'BATCH_NOT_FOUND')?.value ?? 0;
    expect(after - before).toBe(4);
  });
});

describe('batches', () => {
  const listIds = async (q: string) => {
    const r = await json(`/api/v1/batches${q}`);
    expect(r.status).toBe(200);
    return { ids: (r.body.batches as { id: string }[]).map((b) => b.id), next: r.body.nextCursor as string | null };
  };

  it('lists newest first, filters by state and bank, and pages with the cursor', async () => {
    expect((await listIds('')).ids).toEqual([bid(5), bid(4), bid(3), bid(2), bid(1)]);
    expect((await listIds('?state=settled')).ids).toEqual([bid(1)]);
    expect((await listIds('?state=PROVING')).ids).toEqual([bid(2)]);
    expect((await listIds('?bank=bank-a')).ids).toEqual([bid(3), bid(1)]);
    expect((await listIds('?bank=bank-b&state=ACCEPTED')).ids).toEqual([bid(4)]);
    const p1 = await listIds('?limit=2');
    expect(p1.ids).toEqual([bid(5), bid(4)]);
    const p2 = await listIds(`?limit=2&cursor=${p1.next}`);
    expect(p2.ids).toEqual([bid(3), bid(2)]);
    const p3 = await listIds(`?limit=2&cursor=${p2.next}`);
    expect(p3).toEqual({ ids: [bid(1)], next: null });
  });

  it('shows a batch with its record, settlement, history and proofs', async () => {
    const r = await json(`/api/v1/batches/${ids.settled}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: ids.settled,
      bankId: 'bank-a',
      state: 'SETTLED',
      transfers: 2,
      proofs: 2,
      verified: 2,
      planVersion: 1,
      rootBefore: '11',
      rootAfter: '31',
      settlement: { txHash: `0x${'e'.repeat(64)}`, block: 42, aggregationRoot: `0x${'f'.repeat(64)}` },
      error: null,
      pruned: false,
    });
    expect((r.body.events as { state: string }[]).map((e) => e.state)).toEqual(['ACCEPTED', 'PLANNED', 'PROVING', 'PROVING', 'VERIFIED', 'SETTLED']);
    expect(r.body.proofsVerified).toEqual([0, 1].map((index) => expect.objectContaining({ index, transfers: [index], proveMs: 1234, turnaroundMs: 3_000, noteRootBefore: '11', noteRootAfter: '21' })));
    // Who proved each, and for a whole job of a TEE worker its attestation when the job was granted.
    expect(r.body.proofsVerified).toEqual([
      expect.objectContaining({ halfWorkers: ['ab'.repeat(32), 'cd'.repeat(32)], attestation: null }),
      expect.objectContaining({ halfWorkers: null, attestation: ATTESTATION }),
    ]);
    const failed = await json(`/api/v1/batches/${ids.failed}`);
    expect(failed.body).toMatchObject({ state: 'FAILED', error: { code: 'PLANNING_FAILED' } });
  });

  it('lists the jobs of a batch with their attempt and state', async () => {
    const r = await json(`/api/v1/batches/${ids.proving}/jobs`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ batchId: ids.proving, state: 'PROVING', planVersion: 1 });
    expect(r.body.jobs).toEqual([
      expect.objectContaining({ index: 0, attempt: 1, state: 'verified', jobId: `${ids.proving}.v1.t0.a1`, workerId: 'ab'.repeat(32) }),
      expect.objectContaining({ index: 1, attempt: 1, state: 'published', enqueuedMs: 2_010, holders: [] }),
    ]);
    expect((await json(`/api/v1/batches/${ids.accepted}/jobs`)).body.jobs).toEqual([]);
  });

  it('refuses to re-verify a batch that is not settled (409 NOT_SETTLED), and without a ledger (409 NO_LEDGER)', async () => {
    const r = await json(`/api/v1/batches/${ids.proving}/reverify`, { ...bearer(), method: 'POST' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'NOT_SETTLED', state: 'PROVING' });
    const noLedger = httpApp({ registry: metrics.registry, health: async () => ({ status: 'ok', checks: {} }), regulator: { tokens: new RegulatorTokens([TOKEN]), store, reverifier: new Reverifier({ store, vkey: {} }) } });
    const res = await noLedger.request(`/api/v1/batches/${ids.settled}/reverify`, { ...bearer(), method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NO_LEDGER');
    const page = await get(`/portal/batches/${ids.proving}/reverify`, { ...bearer(), method: 'POST' });
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('NOT_SETTLED');
  });
});

describe('portal pages', () => {
  it('render the batch list, a batch and the workers, escaping what banks and messages carry', async () => {
    const list = await get('/portal');
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toMatch(/text\/html/);
    const text = await list.text();
    for (const id of Object.values(ids)) expect(text).toContain(`/portal/batches/${id}`);
    expect(text).not.toContain(EVIL_BANK);
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const one = await get(`/portal/batches/${ids.settled}`);
    expect(one.status).toBe(200);
    const page = await one.text();
    expect(page).toContain(ids.settled);
    expect(page).toContain(`0x${'e'.repeat(64)}`);
    expect(page).toContain('action="/portal/batches/' + ids.settled + '/reverify"');
    expect(page).toContain('settled in block 42');
    expect(page).toContain('attested: drex-dev-enclave-0123');
    const evil = await (await get(`/portal/batches/${ids.evil}`)).text();
    expect(evil).not.toContain(EVIL_BANK);
    expect(evil).toContain('&lt;script&gt;');
    const failed = await (await get(`/portal/batches/${ids.failed}`)).text();
    expect(failed).toContain('refused &lt;b&gt;3&lt;/b&gt;');
    const filtered = await (await get('/portal?state=FAILED&bank=bank-a')).text();
    expect(filtered).toContain(ids.failed);
    expect(filtered).not.toContain(ids.settled);
    expect((await get('/portal/workers')).status).toBe(200);
  });
});
