import { Hono } from 'hono';
import { AdmissionRefusedError } from './admission-errors.ts';
import type { AdmissionService } from './admission-service.ts';

/**
 * HTTP routes of admission: `POST /admission/v1/challenge` -> `{nonce, expiresInMs}`;
 * `POST /admission/v1/credentials` with a signed AdmissionRequestV1 -> AdmissionGrantV1, or
 * `{code, error}` with 400 (malformed), 401 (proof of possession failed) or 403 (policy).
 */
export function admissionRoutes(service: AdmissionService): Hono {
  const app = new Hono();
  app.post('/admission/v1/challenge', async (c) => c.json(await service.challenge()));
  app.post('/admission/v1/credentials', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ code: 'ADMISSION_REQUEST_INVALID', error: 'the body is not JSON' }, 400);
    }
    try {
      return c.json(await service.admit(body));
    } catch (err) {
      if (err instanceof AdmissionRefusedError) return c.json({ code: err.code, error: err.message }, err.httpStatus);
      throw err;
    }
  });
  return app;
}
