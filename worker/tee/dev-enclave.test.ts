import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attestationPolicy } from '../../swarm/attestation/attestation-policy.ts';
import { decodeAttestationDocument } from '../../swarm/attestation/attestation-document.ts';
import { decodeCoseSign1 } from '../../swarm/attestation/cose-sign1.ts';
import { verifyAttestation } from '../../swarm/attestation/verify-attestation.ts';
import { AWS_NITRO_ROOT_PEM } from '../../swarm/attestation/aws-nitro-root.ts';
import { sealKeyFromSecret } from '../../swarm/sealing/seal-keys.ts';
import { DEV_ROOT_CERT_FILE, DEV_ROOT_KEY_FILE, DevEnclave } from './dev-enclave.ts';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('dev enclave', () => {
  it('issues documents in the Nitro format that verify only when its root is trusted explicitly, never by default', async () => {
    const enclave = await DevEnclave.create();
    const worker = await sealKeyFromSecret(new Uint8Array(32).fill(7));
    const nonce = Buffer.from('c0ffee'.repeat(8), 'hex');
    const doc = await enclave.attest({ publicKey: Buffer.from(worker.publicKeyHex, 'hex'), nonce, userData: Buffer.from('worker-1') });
    expect(doc[0]).toBe(0x84); // untagged COSE_Sign1, as the NSM sends it
    expect(Buffer.from(decodeCoseSign1(doc).protectedBytes).toString('hex')).toBe('a1013822'); // {1: -35}, byte for byte as Nitro's
    expect(decodeCoseSign1(doc).payload[0]).toBe(0xa9); // a map of the 9 NSM fields
    const d = decodeAttestationDocument(doc);
    expect(d.payload.digest).toBe('SHA384');
    expect([...d.payload.pcrs.keys()]).toHaveLength(16);

    const byDefault = await verifyAttestation(doc, await attestationPolicy());
    expect(byDefault.ok).toBe(false);
    expect(byDefault.failed).toEqual(['ROOT_PINNED']);

    const trusted = await attestationPolicy({ roots: [{ name: 'aws', pem: AWS_NITRO_ROOT_PEM }, { name: 'dev root', pem: enclave.rootPem() }], nonce: nonce.toString('hex'), publicKey: worker.publicKeyHex });
    const r = await verifyAttestation(doc, trusted);
    expect(r.failed, JSON.stringify(r.checks, null, 1)).toEqual([]);
    expect(r.claims!.root!.name).toBe('dev root');
    expect(r.claims!.chain.map((l) => l.role)).toEqual(['root', 'intermediate', 'leaf']);
    expect(r.claims!.chain[0]!.subject).toContain('NOT A TEE');
    expect(r.claims!.publicKey).toBe(worker.publicKeyHex);
  });

  it("checks the public key binding: another worker's key fails PUBLIC_KEY_BINDING", async () => {
    const enclave = await DevEnclave.create();
    const policy = (publicKey: string) => attestationPolicy({ roots: [{ name: 'dev', pem: enclave.rootPem() }], publicKey });
    const doc = await enclave.attest({ publicKey: Buffer.alloc(32, 1) });
    expect((await verifyAttestation(doc, await policy('01'.repeat(32)))).ok).toBe(true);
    const r = await verifyAttestation(doc, await policy('02'.repeat(32)));
    expect(r.failed).toEqual(['PUBLIC_KEY_BINDING']);
    const none = await verifyAttestation(await enclave.attest(), await policy('01'.repeat(32)));
    expect(none.checks.find((c) => c.check === 'PUBLIC_KEY_BINDING')!.detail).toMatch(/binds no public key/);
  });

  it("refuses another dev enclave's documents, and its debug-mode documents by default", async () => {
    const a = await DevEnclave.create();
    const b = await DevEnclave.create();
    const r = await verifyAttestation(await b.attest(), await attestationPolicy({ roots: [{ name: 'a', pem: a.rootPem() }] }));
    expect(r.failed).toEqual(['ROOT_PINNED']);
    const debug = await DevEnclave.create({ pcrs: new Map([0, 1, 2, 3].map((i) => [i, new Uint8Array(48)])) });
    const dr = await verifyAttestation(await debug.attest(), await attestationPolicy({ roots: [{ name: 'd', pem: debug.rootPem() }] }));
    expect(dr.failed).toEqual(['DEBUG_MODE']);
  });

  it('saves its root (key file private to its owner) and loads it again; documents of the loaded enclave verify under the saved root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dev-enclave-'));
    dirs.push(dir);
    const first = await DevEnclave.create();
    const certPath = await first.saveRoot(dir);
    expect(((await stat(join(dir, DEV_ROOT_KEY_FILE))).mode & 0o777).toString(8)).toBe('600');
    const pem = await readFile(certPath, 'utf8');
    expect(certPath.endsWith(DEV_ROOT_CERT_FILE)).toBe(true);
    const again = await DevEnclave.load(dir);
    const r = await verifyAttestation(await again.attest(), await attestationPolicy({ roots: [{ name: 'saved', pem }] }));
    expect(r.ok, JSON.stringify(r.checks, null, 1)).toBe(true);
    await expect(DevEnclave.load(join(dir, 'missing'))).rejects.toMatchObject({ code: 'DEV_ENCLAVE_INVALID' });
  });
});
