import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { BatchNotFoundError, RegulatorApiError } from '../api-errors.ts';
import { batchDetail, batchJobs, batchSummary } from '../batch-views.ts';
import { batchIdParam, batchListParams, DEFAULT_LIMIT, encodeCursor, noQuery } from '../query-params.ts';
import { PORTAL_COOKIE, PORTAL_COOKIE_MAX_AGE_S } from '../regulator-auth.ts';
import type { RegulatorTokens } from '../regulator-tokens.ts';
import { MAX_ATTESTATION_BODY, decodeOr400 } from '../attestation-request.ts';
import { REPUTATION_NOTE, verifyRequested, type RegulatorDeps } from '../regulator-api.ts';
import { attestationsPage } from './attestations-page.ts';
import { batchesPage } from './batches-page.ts';
import { batchPage } from './batch-page.ts';
import { page } from './layout.ts';
import { loginPage } from './login-page.ts';
import { workersPage } from './workers-page.ts';

/** Where a sign-in may go on to: a portal page (never another site). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/portal(\/[A-Za-z0-9_\-/]*)?(\?[A-Za-z0-9_\-=&%.]*)?$/.test(next) ? next : '/portal';
}

/** An error page for a RegulatorApiError (its status), or a 500 for anything else. */
function errorPage(c: Context, err: unknown, d: Pick<RegulatorDeps, 'metrics' | 'log'>): Response | Promise<Response> {
  if (err instanceof RegulatorApiError) {
    d.metrics?.apiRefused.inc({ code: err.code });
    return c.html(page('Error', html`<h1>${err.code}</h1><div class="error">${err.message}</div><p><a href="/portal">Back to the batches</a></p>`), err.status);
  }
  d.log?.error('portal request failed', { path: c.req.path, error: err });
  return c.html(page('Error', html`<h1>Internal error</h1><div class="error">The page failed inside the orchestrator; its log says why.</div>`), 500);
}

/** The sign-in routes (public): the form, checking a token into the HttpOnly SameSite=Strict cookie, signing out. */
export function portalLoginRoutes(tokens: RegulatorTokens, d: Pick<RegulatorDeps, 'metrics'>): Hono {
  const app = new Hono();
  app.get('/portal/login', (c) => c.html(loginPage({ next: safeNext(c.req.query('next')) })));
  app.post('/portal/login', async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const next = safeNext(body.next);
    if (!tokens.matches(token)) {
      d.metrics?.apiRefused.inc({ code: 'UNAUTHORIZED' });
      c.header('WWW-Authenticate', 'Bearer realm="drex-regulator", error="invalid_token"');
      return c.html(loginPage({ next, error: 'That token is not valid.' }), 401);
    }
    const secure = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
    setCookie(c, PORTAL_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: PORTAL_COOKIE_MAX_AGE_S, secure });
    return c.redirect(next, 303);
  });
  app.post('/portal/logout', (c) => {
    deleteCookie(c, PORTAL_COOKIE, { path: '/' });
    return c.redirect('/portal/login', 303);
  });
  return app;
}

/** The portal's pages (authentication is the caller's: see http-app.ts). */
export function portalRoutes(d: RegulatorDeps): Hono {
  const app = new Hono();
  app.onError((err, c) => errorPage(c, err, d));
  app.get('/portal', async (c) => {
    const q = batchListParams(c.req.url);
    const p = await d.store.list(q);
    return c.html(batchesPage({ batches: p.items.map(batchSummary), state: q.state, bank: q.bankId, limit: q.limit ?? DEFAULT_LIMIT, nextCursor: p.next ? encodeCursor(p.next) : null }));
  });
  const showBatch = async (c: Context, id: string, extra: Pick<Parameters<typeof batchPage>[0], 'reverify' | 'reverifyError'> = {}, status: 200 | 409 | 429 | 503 = 200) => {
    const [b, j] = await Promise.all([batchDetail(d.store, id), batchJobs(d.store, id, d.leases)]);
    if (!b) throw new BatchNotFoundError(id);
    return c.html(batchPage({ batch: b, jobs: j?.jobs ?? [], ...extra }), status);
  };
  app.get('/portal/batches/:id', async (c) => {
    noQuery(c.req.url);
    return showBatch(c, batchIdParam(c.req.param('id')));
  });
  app.post('/portal/batches/:id/reverify', async (c) => {
    const id = batchIdParam(c.req.param('id'));
    if (!d.reverifier) return showBatch(c, id, { reverifyError: 'This orchestrator settles on no ledger: there is no chain record to re-verify.' }, 409);
    try {
      return await showBatch(c, id, { reverify: await d.reverifier.reverify(id) });
    } catch (err) {
      if (err instanceof RegulatorApiError && err.code !== 'BATCH_NOT_FOUND') {
        d.metrics?.apiRefused.inc({ code: err.code });
        return showBatch(c, id, { reverifyError: `${err.code}: ${err.message}` }, err.status as 409 | 429 | 503);
      }
      throw err;
    }
  });
  app.get('/portal/workers', (c) => {
    noQuery(c.req.url);
    const { workers, dropped } = d.members?.list() ?? { workers: [], dropped: {} };
    return c.html(workersPage({ workers, dropped, reputationNote: REPUTATION_NOTE }));
  });
  app.get('/portal/attestations', (c) => {
    noQuery(c.req.url);
    return c.html(attestationsPage());
  });
  app.post('/portal/attestations', async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
    const form = { document: text('document'), at: text('at'), nonce: text('nonce').toLowerCase(), publicKey: text('publicKey').toLowerCase() };
    const shown = { ...form, document: form.document.slice(0, MAX_ATTESTATION_BODY) };
    const refuse = (error: string) => c.html(attestationsPage({ error, form: shown }), 400);
    const file = body.file instanceof File && body.file.size > 0 ? body.file : null;
    if (file && file.size > MAX_ATTESTATION_BODY) return refuse(`The file is ${file.size} bytes; an attestation document is far smaller.`);
    const bytes = file ? new Uint8Array(await file.arrayBuffer()) : Buffer.from(form.document);
    if (bytes.length === 0) return refuse('Paste the document in base64 or choose its file.');
    const at = form.at ? new Date(form.at) : new Date();
    if (Number.isNaN(at.getTime()) || (form.at && !/^\d{4}-\d{2}-\d{2}/.test(form.at))) return refuse('"Check as of" must be an ISO time, e.g. 2025-12-25T13:15:37.578Z.');
    for (const k of ['nonce', 'publicKey'] as const) if (form[k] && !/^([0-9a-f]{2})+$/.test(form[k])) return refuse(`The expected ${k === 'nonce' ? 'nonce' : 'public key'} must be hex bytes.`);
    let document;
    try {
      document = decodeOr400(bytes);
    } catch (err) {
      if (err instanceof RegulatorApiError) return refuse(`Not an attestation document: ${err.message}`);
      throw err;
    }
    const report = await verifyRequested(d, { document, at, nonce: form.nonce || undefined, publicKey: form.publicKey || undefined });
    return c.html(attestationsPage({ report, form: shown }));
  });
  return app;
}
