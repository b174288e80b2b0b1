import { Hono, type Context } from 'hono';
import type { KV } from '@nats-io/kv';
import { attestationPolicy, type AttestationPolicy } from '../../swarm/attestation/attestation-policy.ts';
import { verifyDecodedAttestation } from '../../swarm/attestation/verify-attestation.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { Reverifier } from '../audit/reverifier.ts';
import type { MemberDirectory } from '../members/member-directory.ts';
import type { Metrics } from '../metrics.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { BatchNotFoundError, RegulatorApiError, ReverifyBusyError, NoLedgerError } from './api-errors.ts';
import { readAttestationRequest, type AttestationRequest } from './attestation-request.ts';
import { batchDetail, batchJobs, batchSummary } from './batch-views.ts';
import { batchIdParam, batchListParams, encodeCursor, noQuery } from './query-params.ts';

/** What the regulator API and portal read: batch records, the members replica, job leases, the re-verifier. */
export interface RegulatorDeps {
  store: BatchStore;
  members?: MemberDirectory;
  /** The job leases bucket (who holds a published job), when this process has NATS. */
  leases?: KV;
  /** Re-verification against the chain (absent: answered NO_LEDGER). */
  reverifier?: Reverifier;
  metrics?: Pick<Metrics, 'apiRefused'>;
  log?: Logger;
  /** The deployment's attestation policy (trusted roots, measurements, debug); absent: the AWS Nitro root only, no debug. */
  attestation?: AttestationPolicy;
}

/** Verifies a requested document against the deployment's policy, with the caller's nonce and key expectations. */
export async function verifyRequested(d: Pick<RegulatorDeps, 'attestation'>, r: AttestationRequest) {
  const policy = d.attestation ?? (await attestationPolicy());
  return verifyDecodedAttestation(r.document, { ...policy, nonce: r.nonce ?? null, publicKey: r.publicKey ?? null }, r.at);
}

/** The JSON error body of an API error. */
export function errorBody(err: RegulatorApiError): { error: Record<string, string | number> } {
  return { error: { code: err.code, message: err.message, ...err.details() } };
}

/** Answers an error thrown by a route: a RegulatorApiError with its status and code, anything else 500. */
export function answerError(c: Context, err: unknown, d: Pick<RegulatorDeps, 'metrics' | 'log'>): Response {
  if (err instanceof RegulatorApiError) {
    d.metrics?.apiRefused.inc({ code: err.code });
    if (err instanceof ReverifyBusyError) c.header('Retry-After', String(err.retryAfterS));
    return c.json(errorBody(err), err.status);
  }
  d.log?.error('regulator API request failed', { path: c.req.path, error: err });
  return c.json({ error: { code: 'INTERNAL', message: 'the request failed inside the orchestrator; its log says why' } }, 500);
}

/** How the API's reputation figures come about. */
export const REPUTATION_NOTE = 'computed by this orchestrator\'s membership replica from the aggregators\' signed observations (0-100, decaying; null: no observation)';

/**
 * The regulator and operator JSON API (authentication is the caller's: see http-app.ts):
 * - `GET /api/v1/batches?state=&bank=&limit=&cursor=` -> `{batches: BatchSummary[], nextCursor}` newest first;
 * - `GET /api/v1/batches/:id` -> BatchDetail (record, events, verified proofs);
 * - `GET /api/v1/batches/:id/jobs` -> `{batch, jobs: JobView[]}`;
 * - `POST /api/v1/batches/:id/reverify` -> ReverifyReport (409 NOT_SETTLED before settlement);
 * - `GET /api/v1/workers` -> `{workers: WorkerView[], dropped (membership entries dropped, by reason), reputation (how it is computed)}`.
 * - `POST /api/v1/attestations/verify` (raw document, or JSON `{document: base64, at?, nonce?, publicKey?}`) ->
 *   AttestationReport (200 with `ok: false` and `failed` for a document that fails a check; 400 ATTESTATION_MALFORMED
 *   for a body that is not a document).
 * Errors: `{"error":{"code","message",...}}` (400 BAD_QUERY/BAD_PARAMETER naming the parameter, 404, 409, 429).
 */
export function regulatorApi(d: RegulatorDeps): Hono {
  const app = new Hono();
  app.onError((err, c) => answerError(c, err, d));
  app.get('/api/v1/batches', async (c) => {
    const q = batchListParams(c.req.url);
    const page = await d.store.list(q);
    return c.json({ batches: page.items.map(batchSummary), nextCursor: page.next ? encodeCursor(page.next) : null });
  });
  app.get('/api/v1/batches/:id', async (c) => {
    noQuery(c.req.url);
    const id = batchIdParam(c.req.param('id'));
    const b = await batchDetail(d.store, id);
    if (!b) throw new BatchNotFoundError(id);
    return c.json(b);
  });
  app.get('/api/v1/batches/:id/jobs', async (c) => {
    noQuery(c.req.url);
    const id = batchIdParam(c.req.param('id'));
    const j = await batchJobs(d.store, id, d.leases);
    if (!j) throw new BatchNotFoundError(id);
    return c.json({ batchId: id, state: j.batch.state, planVersion: j.batch.planVersion, jobs: j.jobs });
  });
  app.post('/api/v1/batches/:id/reverify', async (c) => {
    noQuery(c.req.url);
    const id = batchIdParam(c.req.param('id'));
    if (!d.reverifier) {
      if (!(await d.store.get(id))) throw new BatchNotFoundError(id);
      throw new NoLedgerError();
    }
    return c.json(await d.reverifier.reverify(id));
  });
  app.get('/api/v1/workers', (c) => {
    noQuery(c.req.url);
    const { workers, dropped } = d.members?.list() ?? { workers: [], dropped: {} };
    return c.json({ workers, dropped, reputation: REPUTATION_NOTE });
  });
  app.post('/api/v1/attestations/verify', async (c) => c.json(await verifyRequested(d, await readAttestationRequest(c.req.raw))));
  app.all('/api/*', (c) => c.json({ error: { code: 'NOT_FOUND', message: `no API route ${c.req.method} ${c.req.path}` } }, 404));
  return app;
}
