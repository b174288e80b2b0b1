import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { HealthReport } from './health-report.ts';
import type { AdmissionService } from '../admission/admission-service.ts';
import { admissionRoutes } from '../admission/admission-routes.ts';

/**
 * The orchestrator's HTTP app: Prometheus metrics, health and worker admission (when configured).
 * `/healthz` answers 200 when every check of `health` passed, else 503; the body names each check and
 * its state. Batch records are served only to their bank, over the authenticated gRPC API.
 */
export function httpApp(o: { registry: Registry; health: () => Promise<HealthReport>; admission?: AdmissionService; publicRoutes?: Hono }): Hono {
  const app = new Hono();
  if (o.publicRoutes) app.route('/', o.publicRoutes);
  if (o.admission) app.route('/', admissionRoutes(o.admission));
  app.get('/metrics', async (c) => c.text(await o.registry.metrics(), 200, { 'content-type': o.registry.contentType }));
  app.get('/healthz', async (c) => {
    const report = await o.health();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
  return app;
}
