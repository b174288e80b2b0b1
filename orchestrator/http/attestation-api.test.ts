import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { attestationPolicy } from '../../swarm/attestation/attestation-policy.ts';
import type { AttestationReport } from '../../swarm/attestation/attestation-report.ts';
import { AWS_NITRO_ROOT_PEM } from '../../swarm/attestation/aws-nitro-root.ts';
import { DSTACK, EVERVAULT, nitroFixture } from '../../swarm/attestation/fixtures/nitro-fixtures.ts';
import { DevEnclave } from '../../worker/tee/dev-enclave.ts';
import { createMetrics } from '../metrics.ts';
import { BatchStore } from '../store/batch-store.ts';
import { httpApp } from './http-app.ts';
import { RegulatorTokens } from './regulator-tokens.ts';

const TOKEN = 'regulator-token-0123456789abcdef';
const redis = useRedisServer();
const dstack = nitroFixture(DSTACK.file);
const evervault = nitroFixture(EVERVAULT.file);
let app: Hono;
let enclave: DevEnclave;

beforeAll(async () => {
  enclave = await DevEnclave.create();
  // The deployment trusts the AWS root and, explicitly, its dev enclave's root; debug documents stay refused.
  const attestation = await attestationPolicy({ roots: [{ name: 'AWS', pem: AWS_NITRO_ROOT_PEM }, { name: 'dev enclave', pem: enclave.rootPem() }] });
  const metrics = createMetrics();
  app = httpApp({ registry: metrics.registry, health: async () => ({ status: 'ok', checks: {} }), regulator: { tokens: new RegulatorTokens([TOKEN]), store: new BatchStore(redis(), 'att:'), metrics, attestation } });
});

const auth = { authorization: `Bearer ${TOKEN}` };
async function verify(body: string | Uint8Array, headers: Record<string, string> = {}, query = '') {
  const res = await app.request(`/api/v1/attestations/verify${query}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { ...auth, ...headers } });
  return { status: res.status, body: (await res.json()) as AttestationReport & { error?: { code: string; message: string; field?: string } } };
}
const asJson = (o: unknown) => [JSON.stringify(o), { 'content-type': 'application/json' }] as const;

describe('POST /api/v1/attestations/verify', () => {
  it('needs a regulator token', async () => {
    const res = await app.request('/api/v1/attestations/verify', { method: 'POST', body: new Uint8Array(dstack) });
    expect(res.status).toBe(401);
  });

  it('verifies a raw CBOR document as of ?at=, and the same document as JSON base64', async () => {
    const raw = await verify(dstack, { 'content-type': 'application/cbor' }, `?at=${DSTACK.at.toISOString()}`);
    expect(raw.status).toBe(200);
    expect(raw.body.ok).toBe(true);
    expect(raw.body.claims!.moduleId).toBe(DSTACK.moduleId);
    expect(raw.body.checks).toHaveLength(10);
    const json = await verify(...asJson({ document: dstack.toString('base64'), at: DSTACK.at.toISOString() }));
    expect(json.status).toBe(200);
    expect(json.body).toEqual(raw.body);
  });

  it('answers 200 with ok:false and the failing checks for a document that fails', async () => {
    const debug = await verify(...asJson({ document: evervault.toString('base64'), at: EVERVAULT.at.toISOString() }));
    expect(debug.status).toBe(200);
    expect(debug.body.ok).toBe(false);
    expect(debug.body.failed).toEqual(['DEBUG_MODE']);
    const now = await verify(dstack, { 'content-type': 'application/octet-stream' });
    expect(now.body.failed).toEqual(['CERTIFICATE_VALIDITY', 'DOCUMENT_AGE']);
    const tampered = Buffer.from(dstack);
    tampered[tampered.indexOf(Buffer.from(DSTACK.moduleId)) + 2]! ^= 1;
    expect((await verify(tampered, {}, `?at=${DSTACK.at.toISOString()}`)).body.failed).toEqual(['COSE_SIGNATURE']);
  });

  it("uses the deployment's policy: its dev enclave's documents verify, with the caller's nonce and key checked", async () => {
    const nonce = 'ab'.repeat(16);
    const doc = Buffer.from(await enclave.attest({ publicKey: Buffer.alloc(32, 3), nonce: Buffer.from(nonce, 'hex') }));
    const ok = await verify(...asJson({ document: doc.toString('base64'), nonce, publicKey: '03'.repeat(32) }));
    expect(ok.body.failed).toEqual([]);
    const wrong = await verify(doc, {}, `?nonce=${'cd'.repeat(16)}&publicKey=${'04'.repeat(32)}`);
    expect(wrong.body.failed).toEqual(['NONCE', 'PUBLIC_KEY_BINDING']);
    const other = Buffer.from(await (await DevEnclave.create()).attest());
    expect((await verify(other)).body.failed).toEqual(['ROOT_PINNED']);
  });

  it('answers 400 with a named error for a body that is not a document or a malformed request', async () => {
    const junk = await verify('hello');
    expect(junk.status).toBe(400);
    expect(junk.body.error!.code).toBe('ATTESTATION_MALFORMED');
    expect((await verify(dstack.subarray(0, 200))).body.error!.code).toBe('ATTESTATION_MALFORMED');
    const bad = [
      [...asJson({ document: dstack.toString('base64'), at: 'yesterday' })],
      [...asJson({ document: dstack.toString('base64'), extra: 1 })],
      [...asJson({})],
      ['{not json', { 'content-type': 'application/json' }],
    ] as const;
    for (const [b, h] of bad) {
      const r = await verify(b, h);
      expect(r.status, b).toBe(400);
      expect(r.body.error!.code).toBe('BAD_ATTESTATION_REQUEST');
    }
    expect((await verify(dstack, {}, '?at=soon')).body.error).toMatchObject({ code: 'BAD_ATTESTATION_REQUEST', field: 'query.at' });
    expect((await verify(Buffer.alloc(70_000, 0x41))).status).toBe(413);
  });
});

describe('/portal/attestations', () => {
  const cookie = { cookie: `drex_portal=${TOKEN}` };
  it('shows the form, and for a pasted document each check and what it proves', async () => {
    const form = await app.request('/portal/attestations', { headers: cookie });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('enctype="multipart/form-data"');
    const fd = new FormData();
    fd.set('document', dstack.toString('base64'));
    fd.set('at', DSTACK.at.toISOString());
    const res = await app.request('/portal/attestations', { method: 'POST', body: fd, headers: cookie });
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(page).toContain('every check passed');
    expect(page).toContain(DSTACK.moduleId);
    expect(page).toContain('5cb702954321826d7939d6da829a940d787fcf32357beb8eae1ddf33c28c17d36f3ac3ba6828fdf7edeed02889702da6');
    expect(page).toContain('641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b');
    expect(page).toContain('CERTIFICATE_VALIDITY');
  });

  it('verifies an uploaded file, shows a failed check, and refuses a body that is not a document', async () => {
    const fd = new FormData();
    fd.set('file', new File([new Uint8Array(evervault)], 'doc.bin'));
    fd.set('at', EVERVAULT.at.toISOString());
    const page = await (await app.request('/portal/attestations', { method: 'POST', body: fd, headers: cookie })).text();
    expect(page).toContain('failed: DEBUG_MODE');
    expect(page).toContain('claims (not proven: a check failed)');
    const junk = new FormData();
    junk.set('document', '<script>alert(1)</script>');
    const res = await app.request('/portal/attestations', { method: 'POST', body: junk, headers: cookie });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('Not an attestation document');
    expect(text).not.toContain('<script>alert(1)');
  });
});
