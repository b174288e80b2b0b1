/**
 * The public routes of the browser worker: `GET /worker` (the page), `/worker/app.js` and
 * `/worker/msm-thread.js` (its scripts, built on first request), `/worker/config.json` (the deployment
 * and NATS's WebSocket URL). A device owner opens the page to contribute; it is admitted through the
 * orchestrator's admission routes on the same origin.
 */
import { Hono, type Context } from 'hono';
import { pageScripts, type PageScript } from './page-bundle.ts';
import { WORKER_PAGE_HTML } from './worker-page-html.ts';
import type { WorkerPageConfig } from './page/page-config.ts';

/** The page's security policy: its own scripts (and WASM compilation), its own origin and NATS's WebSocket. */
function contentSecurityPolicy(natsWsUrl: string): string {
  const ws = new URL(natsWsUrl).origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src 'self' ${ws}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The worker page's routes for `config` (mount them without authentication). */
export function workerPageRoutes(config: WorkerPageConfig): Hono {
  const app = new Hono();
  const csp = contentSecurityPolicy(config.natsWsUrl);
  const script = (name: 'app' | 'msm-thread') => async (c: Context) => {
    const s: PageScript = (await pageScripts())[name];
    const headers = { etag: s.etag, 'cache-control': 'no-cache', 'content-type': 'text/javascript; charset=utf-8', 'x-content-type-options': 'nosniff' };
    if (c.req.header('if-none-match') === s.etag) return c.body(null, 304, headers);
    return c.body(s.js as Uint8Array<ArrayBuffer>, 200, headers);
  };
  app.get('/worker', (c) => c.html(WORKER_PAGE_HTML, 200, { 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' }));
  app.get('/worker/', (c) => c.redirect('/worker'));
  app.get('/worker/app.js', script('app'));
  app.get('/worker/msm-thread.js', script('msm-thread'));
  app.get('/worker/config.json', (c) => c.json(config, 200, { 'cache-control': 'no-store' }));
  return app;
}
