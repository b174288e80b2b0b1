import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '@nats-io/jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import { admissionSigningBytes } from '../../protocol/messages/admission.ts';
import { natsNames } from '../../protocol/subjects.ts';
import { generateIdentity, type Identity } from '../../swarm/identity/ed25519.ts';
import { createLogger } from '../../swarm/log/logger.ts';
import { createNatsSecurity, loadAdmissionKeys, type AdmissionKeys } from '../../swarm/nats-auth/nats-security.ts';
import { userPublicKeyOf } from '../../swarm/nats-auth/nkey-codec.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { AdmissionService, type AdmissionPolicy } from './admission-service.ts';
import { AdmissionStore } from './admission-store.ts';

const redis = useRedisServer();
let keys: AdmissionKeys;
const names = natsNames('adm-test');
const silent = createLogger('admission', {}, { write: () => true });

beforeAll(async () => {
  keys = loadAdmissionKeys((await createNatsSecurity({ dir: mkdtempSync(join(tmpdir(), 'drex-adm-')), deployment: 'adm-test' })).admissionDir);
});

function service(policy: AdmissionPolicy, prefix = `t${Math.random().toString(36).slice(2)}:`) {
  const store = new AdmissionStore(redis(), prefix);
  const refused: string[] = [];
  return { store, refused, svc: new AdmissionService({ names, keys, store, policy, credentialTtlMs: 60_000, log: silent, onRefused: (c) => refused.push(c) }) };
}

async function request(svc: AdmissionService, id: Identity, operator = 'op-a', tamper?: (r: Record<string, unknown>) => void) {
  const { nonce } = await svc.challenge();
  const unsigned = { v: 1 as const, deployment: 'adm-test', workerId: id.id, operator, nonce };
  const r: Record<string, unknown> = { ...unsigned, signature: id.sign(admissionSigningBytes(unsigned)) };
  tamper?.(r);
  return r;
}

describe('AdmissionService', () => {
  it('issues a credential bound to the worker key, with the worker permissions and an expiry, to an allowed key', async () => {
    const { svc, store } = service({ mode: 'allowlist' });
    const { identity } = generateIdentity();
    await store.allow(identity.id, 'op-a');
    const grant = await svc.admit(await request(svc, identity));
    const claims = decode<{ pub: { allow: string[] }; sub: { allow: string[] } }>(grant.jwt);
    expect(claims.sub).toBe(userPublicKeyOf(identity.id));
    expect(claims.exp! * 1000).toBeGreaterThan(Date.now() + 50_000);
    expect(claims.exp! * 1000).toBe(grant.expiresAtMs);
    expect(claims.nats.pub?.allow).toContain(names.membersAnnounce(identity.id, 'op-a'));
    expect(claims.nats.pub?.allow).not.toContain(names.verdictSubjects);
    expect(claims.nats.sub?.allow).toEqual([`${grant.inboxPrefix}.>`, names.attestRequest(identity.id)]);
  });

  it('refuses a replayed challenge, a bad signature, an unlisted key, another operator and a revoked key', async () => {
    const { svc, store, refused } = service({ mode: 'allowlist' });
    const { identity } = generateIdentity();
    await store.allow(identity.id, 'op-a');
    const req = await request(svc, identity);
    await svc.admit(req);
    await expect(svc.admit(req)).rejects.toMatchObject({ code: 'ADMISSION_CHALLENGE_UNKNOWN' });
    const other = generateIdentity().identity;
    await expect(svc.admit(await request(svc, identity, 'op-a', (r) => (r.signature = other.sign(Buffer.from('x')))))).rejects.toMatchObject({ code: 'ADMISSION_SIGNATURE_INVALID' });
    await expect(svc.admit(await request(svc, other))).rejects.toMatchObject({ code: 'ADMISSION_NOT_ALLOWED' });
    await expect(svc.admit(await request(svc, identity, 'op-b'))).rejects.toMatchObject({ code: 'ADMISSION_NOT_ALLOWED' });
    await expect(svc.admit({ v: 1, workerId: 'nope' })).rejects.toMatchObject({ code: 'ADMISSION_REQUEST_INVALID' });
    await store.revoke(identity.id);
    await expect(svc.admit(await request(svc, identity))).rejects.toMatchObject({ code: 'ADMISSION_REVOKED' });
    expect(refused).toEqual(['ADMISSION_CHALLENGE_UNKNOWN', 'ADMISSION_SIGNATURE_INVALID', 'ADMISSION_NOT_ALLOWED', 'ADMISSION_NOT_ALLOWED', 'ADMISSION_REQUEST_INVALID', 'ADMISSION_REVOKED']);
    // Allowing it again lifts the revocation.
    await store.allow(identity.id, 'op-a');
    await expect(svc.admit(await request(svc, identity))).resolves.toMatchObject({ v: 1 });
  });

  it('open admission admits any key up to the quota per operator, counting a key once', async () => {
    const { svc } = service({ mode: 'open', quotaPerOperator: 2 });
    const [a, b, c] = [generateIdentity().identity, generateIdentity().identity, generateIdentity().identity];
    await svc.admit(await request(svc, a));
    await svc.admit(await request(svc, a));
    await svc.admit(await request(svc, b));
    await expect(svc.admit(await request(svc, c))).rejects.toMatchObject({ code: 'ADMISSION_QUOTA_EXCEEDED' });
    await expect(svc.admit(await request(svc, c, 'op-b'))).resolves.toMatchObject({ v: 1 });
  });
});
