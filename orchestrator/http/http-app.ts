import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { BatchStore } from '../store/batch-store.ts';
import type { HealthReport } from './health-report.ts';
import type { AdmissionService } from '../admission/admission-service.ts';
import { admissionRoutes } from '../admission/admission-routes.ts';

/**
 * The orchestrator's HTTP app: Prometheus metrics, health, worker admission (when configured), and
 * read-only batch records. `/healthz`
 * answers 200 when every check of `health` passed, else 503; the body names each check and its state.
 */
export function httpApp(o: { registry: Registry; store: BatchStore; health: () => Promise<HealthReport>; admission?: AdmissionService }): Hono {
  const app = new Hono();
  if (o.admission) app.route('/', admissionRoutes(o.admission));
  app.get('/metrics', async (c) => c.text(await o.registry.metrics(), 200, { 'content-type': o.registry.contentType }));
  app.get('/healthz', async (c) => {
    const report = await o.health();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
  app.get('/v1/batches/:id', async (c) => {
    const id = c.req.param('id');
    if (!/^0x[0-9a-f]{64}$/.test(id)) return c.json({ code: 'INVALID_FIELD', error: 'batch id must be 0x and 64 lowercase hex digits' }, 400);
    const b = await o.store.get(id);
    if (!b) return c.json({ code: 'BATCH_NOT_FOUND', error: `no batch ${id}` }, 404);
    const events = await o.store.events(id);
    return c.json({ batch: b, events: events.map(({ streamId: _s, ...e }) => e) });
  });
  return app;
}
