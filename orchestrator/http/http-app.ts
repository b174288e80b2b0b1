import { Hono, type Context } from 'hono';
import type { Registry } from 'prom-client';
import type { HealthReport } from './health-report.ts';
import type { AdmissionService } from '../admission/admission-service.ts';
import { admissionRoutes } from '../admission/admission-routes.ts';
import { refusalMessage, requireRegulator, type AuthRefusal } from './regulator-auth.ts';
import { RegulatorTokens } from './regulator-tokens.ts';
import { regulatorApi, type RegulatorDeps } from './regulator-api.ts';
import { portalLoginRoutes, portalRoutes } from './portal/portal-routes.ts';
import { loginPage } from './portal/login-page.ts';

export interface HttpAppOptions {
  registry: Registry;
  health: () => Promise<HealthReport>;
  admission?: AdmissionService;
  /**
   * Routes served without authentication (e.g. the browser worker's page under /worker and its
   * assets), mounted first. They must not define paths under /api or /portal.
   */
  publicRoutes?: Hono;
  /** The regulator API and portal: the tokens that open them, and what they read. */
  regulator?: { tokens: RegulatorTokens } & Partial<RegulatorDeps>;
}

/**
 * The orchestrator's HTTP app.
 * Public: `publicRoutes`, worker admission, `/healthz` (200 when every check of `health` passed, else
 * 503; the body names each check) and `/metrics` (open on purpose: Prometheus scrapes it without
 * credentials, and it carries counts and timings, no batch content).
 * Regulator (a bearer token or the portal cookie; see regulator-auth.ts): `/api/v1/*` (JSON,
 * regulator-api.ts) and `/portal/*` (pages; `/portal/login` signs in). Without configured tokens, or
 * without the stores they read, every regulator request is answered 401: never open by default.
 */
export function httpApp(o: HttpAppOptions): Hono {
  const app = new Hono();
  if (o.publicRoutes) app.route('/', o.publicRoutes);
  if (o.admission) app.route('/', admissionRoutes(o.admission));
  // Open: scraped by Prometheus, which holds no regulator token; it exposes counts and timings only.
  app.get('/metrics', async (c) => c.text(await o.registry.metrics(), 200, { 'content-type': o.registry.contentType }));
  app.get('/healthz', async (c) => {
    const report = await o.health();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });

  const tokens = o.regulator?.tokens ?? new RegulatorTokens([]);
  const metrics = o.regulator?.metrics;
  const onRefused = (_why: AuthRefusal) => metrics?.apiRefused.inc({ code: 'UNAUTHORIZED' });
  app.route('/', portalLoginRoutes(tokens, { metrics }));
  const apiAuth = requireRegulator({ tokens, onRefused, refuse: (c: Context, why) => c.json({ error: { code: 'UNAUTHORIZED', message: refusalMessage(why) } }, 401) });
  const pageAuth = requireRegulator({
    tokens,
    onRefused,
    refuse: (c: Context, why) => c.html(loginPage({ next: c.req.method === 'GET' ? `${c.req.path}${new URL(c.req.url).search}` : '/portal', ...(why === 'missing' ? {} : { error: refusalMessage(why) }) }), 401),
  });
  // `/x/*` covers `/x` itself too.
  app.use('/api/*', apiAuth);
  app.use('/portal/*', async (c, next) => (c.req.path === '/portal/login' || c.req.path === '/portal/logout' ? next() : pageAuth(c, next)));
  const store = o.regulator?.store;
  if (store) {
    const deps: RegulatorDeps = { ...o.regulator, store };
    app.route('/', regulatorApi(deps));
    app.route('/', portalRoutes(deps));
  }
  return app;
}
