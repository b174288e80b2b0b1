import { describe, expect, it } from 'vitest';
import { DevEnclave } from '../../worker/tee/dev-enclave.ts';
import { attestationPolicy } from './attestation-policy.ts';
import type { AttestationReport, CheckName } from './attestation-report.ts';
import { AWS_NITRO_ROOT_PEM } from './aws-nitro-root.ts';
import { cborDecoder, cborEncoder, decodeCoseSign1 } from './cose-sign1.ts';
import { DSTACK, EVERVAULT, nitroFixture } from './fixtures/nitro-fixtures.ts';
import { verifyAttestation } from './verify-attestation.ts';

const dstack = nitroFixture(DSTACK.file);
const evervault = nitroFixture(EVERVAULT.file);
const DSTACK_PCR0 = '5cb702954321826d7939d6da829a940d787fcf32357beb8eae1ddf33c28c17d36f3ac3ba6828fdf7edeed02889702da6';

const status = (r: AttestationReport) => Object.fromEntries(r.checks.map((c) => [c.check, c.ok]));
const detail = (r: AttestationReport, c: CheckName) => r.checks.find((x) => x.check === c)!.detail;
/** Asserts that exactly `failed` fail, and returns the first failure's detail. */
function expectOnly(r: AttestationReport, failed: CheckName[]): string {
  expect(r.failed, JSON.stringify(r.checks, null, 1)).toEqual(failed);
  expect(r.ok).toBe(failed.length === 0);
  return failed.length ? detail(r, failed[0]!) : '';
}

describe('real Nitro documents', () => {
  it('accepts the production-enclave document (indefinite-length payload map) at its own timestamp, and states what it proves', async () => {
    expect(dstack[0]).toBe(0x84);
    expect(decodeCoseSign1(dstack).payload[0]).toBe(0xbf);
    const r = await verifyAttestation(dstack, await attestationPolicy(), DSTACK.at);
    expectOnly(r, []);
    expect(r.checks.map((c) => c.check)).toEqual(['CBOR', 'COSE_SIGNATURE', 'CERTIFICATE_CHAIN', 'ROOT_PINNED', 'CERTIFICATE_VALIDITY', 'DEBUG_MODE', 'PCR_POLICY', 'DOCUMENT_AGE', 'NONCE', 'PUBLIC_KEY_BINDING']);
    const c = r.claims!;
    expect(c.moduleId).toBe(DSTACK.moduleId);
    expect(c.timestamp).toBe('2025-12-25T13:15:37.578Z');
    expect(c.pcrs['0']).toBe(DSTACK_PCR0);
    expect(Object.keys(c.pcrs)).toHaveLength(16);
    expect(c.debugMode).toBe(false);
    expect(c.publicKey).toBeNull();
    expect(c.nonce).toBeNull();
    expect(c.userData).toBe('00'.repeat(64));
    expect(c.chain.map((l) => l.role)).toEqual(['root', 'intermediate', 'intermediate', 'intermediate', 'leaf']);
    expect(c.chain[0]!.sha256).toBe('641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b');
    expect(c.chain[4]!.subject).toContain(DSTACK.moduleId);
    expect(r.ageMs).toBe(0);
  });

  it('refuses the debug-mode document by default with a reason naming debug mode, and accepts it when the policy allows debug', async () => {
    const refused = await verifyAttestation(evervault, await attestationPolicy(), EVERVAULT.at);
    expect(expectOnly(refused, ['DEBUG_MODE'])).toMatch(/debug mode.*PCR0, PCR1 and PCR2 all zero.*refuses debug/);
    const allowed = await verifyAttestation(evervault, await attestationPolicy({ allowDebug: true }), EVERVAULT.at);
    expectOnly(allowed, []);
    expect(allowed.claims!.debugMode).toBe(true);
    expect(allowed.claims!.nonce).toHaveLength(512);
    expect(allowed.claims!.userData!.startsWith('3059301306072a8648ce3d0201')).toBe(true);
  });

  it('accepts the document wrapped in COSE tag 18 too', async () => {
    const r = await verifyAttestation(Buffer.concat([Buffer.from([0xd2]), dstack]), await attestationPolicy(), DSTACK.at);
    expectOnly(r, []);
    expect(detail(r, 'CBOR')).toMatch(/^tag-18/);
  });

  it('fails the certificate validity checked at the current time: the leaves expired years ago', async () => {
    const r = await verifyAttestation(dstack, await attestationPolicy(), new Date('2027-01-01T00:00:00Z'));
    expect(r.failed).toEqual(['CERTIFICATE_VALIDITY', 'DOCUMENT_AGE']);
    expect(detail(r, 'CERTIFICATE_VALIDITY')).toMatch(/^the leaf .* expired at 2025-12-25T16:15:37.000Z, before the check time 2027-01-01T00:00:00.000Z; intermediate cabundle\[3\]/);
  });
});

describe('tampered copies of real documents', () => {
  it('payload byte flipped: COSE_SIGNATURE fails', async () => {
    const t = Buffer.from(dstack);
    const at = t.indexOf(Buffer.from(DSTACK.moduleId));
    t[at + 2]! ^= 0x01; // 'i-0' -> 'i-1': still a well-formed document, no longer what was signed
    const r = await verifyAttestation(t, await attestationPolicy(), DSTACK.at);
    expect(expectOnly(r, ['COSE_SIGNATURE'])).toMatch(/does not verify.*altered/);
    expect(r.claims!.moduleId).not.toBe(DSTACK.moduleId);
  });

  it("signature swapped for another document's: COSE_SIGNATURE fails", async () => {
    const [p, u, payload] = cborDecoder.decode(dstack) as [Buffer, Map<never, never>, Buffer, Buffer];
    const otherSig = decodeCoseSign1(evervault).signature;
    const t = cborEncoder.encode([p, u, payload, Buffer.from(otherSig)]);
    expectOnly(await verifyAttestation(t, await attestationPolicy(), DSTACK.at), ['COSE_SIGNATURE']);
  });

  it('wrong root trusted: ROOT_PINNED fails and names the untrusted cabundle[0]', async () => {
    const dev = await DevEnclave.create();
    const r = await verifyAttestation(dstack, await attestationPolicy({ roots: [{ name: 'dev', pem: dev.rootPem() }] }), DSTACK.at);
    expect(expectOnly(r, ['ROOT_PINNED'])).toMatch(/no trusted root issued .*cabundle\[0\] is .*aws\.nitro-enclaves.*sha256 641a0321/);
    expect(r.claims!.root).toBeNull();
  });

  it('expired certificate at the given time: CERTIFICATE_VALIDITY fails (age allowed, to isolate it)', async () => {
    const at = new Date('2025-12-25T16:15:38Z'); // one second after the leaf's notAfter
    const r = await verifyAttestation(dstack, await attestationPolicy({ maxAgeMs: 24 * 3_600_000 }), at);
    expect(expectOnly(r, ['CERTIFICATE_VALIDITY'])).toMatch(/the leaf .* expired at 2025-12-25T16:15:37.000Z/);
    // One second earlier it is still valid.
    expectOnly(await verifyAttestation(dstack, await attestationPolicy({ maxAgeMs: 24 * 3_600_000 }), new Date('2025-12-25T16:15:36Z')), []);
  });

  it('PCR not in policy: PCR_POLICY fails naming the PCR; the real PCR0 passes', async () => {
    const wrong = await attestationPolicy({ allowedMeasurements: [{ '0': 'ab'.repeat(48), '1': '0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf321726696257d623e8805f3f605946b3d8b0c6aa' }] });
    expect(expectOnly(await verifyAttestation(dstack, wrong, DSTACK.at), ['PCR_POLICY'])).toMatch(/not in the policy: PCR0 differ/);
    const right = await attestationPolicy({ allowedMeasurements: [{ '0': 'ab'.repeat(48) }, { '0': DSTACK_PCR0.toUpperCase() }] });
    expect(detail(await verifyAttestation(dstack, right, DSTACK.at), 'PCR_POLICY')).toMatch(/allowed measurement #2/);
  });

  it('too old, and from the future: DOCUMENT_AGE fails', async () => {
    const old = await verifyAttestation(dstack, await attestationPolicy({ maxAgeMs: 60_000 }), new Date(DSTACK.at.getTime() + 61_000));
    expect(expectOnly(old, ['DOCUMENT_AGE'])).toMatch(/61000 ms old/);
    const early = await verifyAttestation(dstack, await attestationPolicy(), new Date(DSTACK.at.getTime() - 120_000));
    expect(early.failed).toEqual(['CERTIFICATE_VALIDITY', 'DOCUMENT_AGE']); // the leaf starts 3.578 s before the document
    expect(detail(early, 'DOCUMENT_AGE')).toMatch(/120000 ms after the check time/);
    expect(detail(early, 'CERTIFICATE_VALIDITY')).toMatch(/^the leaf .* is not valid until 2025-12-25T13:15:34.000Z/);
  });

  it('expected nonce: NONCE passes only for the one the document carries', async () => {
    const nonce = Buffer.from(decodeCoseSign1(evervault).payload).toString('hex'); // not the nonce: just some other bytes
    const real = (await verifyAttestation(evervault, await attestationPolicy({ allowDebug: true }), EVERVAULT.at)).claims!.nonce!;
    expectOnly(await verifyAttestation(evervault, await attestationPolicy({ allowDebug: true, nonce: real }), EVERVAULT.at), []);
    const r = await verifyAttestation(evervault, await attestationPolicy({ allowDebug: true, nonce: nonce.slice(0, 64) }), EVERVAULT.at);
    expect(expectOnly(r, ['NONCE'])).toMatch(/different nonce/);
    expect(expectOnly(await verifyAttestation(dstack, await attestationPolicy({ nonce: 'aa' }), DSTACK.at), ['NONCE'])).toMatch(/carries no nonce/);
  });

  it('bytes that are not a document: CBOR fails and every other check is reported not run', async () => {
    for (const bad of [Buffer.from('hello'), dstack.subarray(0, 100), Buffer.concat([dstack, Buffer.from([0])]), cborEncoder.encode([1, 2, 3, 4]), Buffer.alloc(0)]) {
      const r = await verifyAttestation(bad, await attestationPolicy(), DSTACK.at);
      expect(r.failed[0]).toBe('CBOR');
      expect(r.failed).toHaveLength(10);
      expect(r.claims).toBeNull();
    }
  });
});

describe('policy', () => {
  it('pins the AWS root by its fingerprint and refuses malformed options', async () => {
    const p = await attestationPolicy();
    expect(p.roots.map((r) => r.sha256)).toEqual(['641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b']);
    expect(nitroFixture('aws-nitro-root.pem').toString().trim()).toBe(AWS_NITRO_ROOT_PEM.trim());
    await expect(attestationPolicy({ allowedMeasurements: [{ '0': 'xyz' }] })).rejects.toMatchObject({ code: 'ATTESTATION_POLICY_INVALID' });
    await expect(attestationPolicy({ allowedMeasurements: [{ '32': 'ab'.repeat(48) }] })).rejects.toMatchObject({ code: 'ATTESTATION_POLICY_INVALID' });
    await expect(attestationPolicy({ roots: [{ name: 'x', pem: 'not a pem' }] })).rejects.toMatchObject({ code: 'ATTESTATION_POLICY_INVALID' });
    await expect(attestationPolicy({ roots: [] })).rejects.toMatchObject({ code: 'ATTESTATION_POLICY_INVALID' });
  });
});
