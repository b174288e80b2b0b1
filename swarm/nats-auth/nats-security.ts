import { encodeAccount, encodeOperator } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity } from '../identity/ed25519.ts';
import { natsNames } from '../../protocol/subjects.ts';
import { APP_ACCOUNT_LIMITS, SYSTEM_ACCOUNT_LIMITS, encodeAppAccount, type AppAccountSpec } from './account-claims.ts';
import { userKeyFromEd25519Seed } from './nkey-codec.ts';
import { inboxPrefixOf, rolePermissions, type NatsRole } from './role-permissions.ts';
import { issueUserJwt, writeCredsFile, writeSecretFile } from './user-credentials.ts';

/** Files of one deployment's NATS security (decentralized JWT auth: operator, accounts, users). */
export interface NatsSecurity {
  dir: string;
  /** nats-server configuration for operator mode (operator JWT, system account, full resolver with the accounts preloaded). */
  serverConfig: string;
  /** Role -> standard NATS `.creds` file. `worker` is one spare admitted worker (its Ed25519 key in `workerKey`). */
  creds: Record<NatsRole, string>;
  /** Key file (`{"type":"ed25519","seed"}`) of the spare worker whose credentials are `creds.worker`. */
  workerKey: string;
  /** What the orchestrator's admission service needs: see loadAdmissionKeys. */
  admissionDir: string;
}

export interface CreateNatsSecurityOptions {
  /** Where the files go (created); existing files are replaced. */
  dir: string;
  deployment: string;
  /** Lifetime of the spare worker's credentials (default 24 h). */
  workerCredsTtlMs?: number;
}

/** What the admission service holds: it issues worker credentials and pushes revocations. */
export interface AdmissionKeys {
  /** Account signing key that issues worker users. */
  accountSigner: KeyPair;
  /** Operator signing key that re-issues the account JWT with revocations. */
  operatorSigner: KeyPair;
  account: AppAccountSpec;
  /** `.creds` of a system-account user allowed only to push account JWT updates. */
  systemCreds: string;
}

const seedText = (kp: KeyPair) => new TextDecoder().decode(kp.getSeed());
const readSeed = (path: string) => fromSeed(new TextEncoder().encode(readFileSync(path, 'utf8').trim()));

/** Loads the admission service's keys from a folder written by createNatsSecurity. */
export function loadAdmissionKeys(dir: string): AdmissionKeys {
  return {
    accountSigner: readSeed(join(dir, 'account-signing.nk')),
    operatorSigner: readSeed(join(dir, 'operator-signing.nk')),
    account: JSON.parse(readFileSync(join(dir, 'app-account.json'), 'utf8')) as AppAccountSpec,
    systemCreds: join(dir, 'system.creds'),
  };
}

/**
 * Generates a deployment's NATS security with NATS's own decentralized JWT auth: an operator (with a
 * signing key), a system account, and the application account `DREX` (JetStream enabled) whose signing
 * key issues users; credentials for the orchestrator, the aggregator, an admin (audits, tests) and one
 * spare worker; and the admission service's keys. Nothing connects anonymously.
 */
export async function createNatsSecurity(o: CreateNatsSecurityOptions): Promise<NatsSecurity> {
  const names = natsNames(o.deployment);
  const operator = createOperator();
  const operatorSigner = createOperator();
  const sys = createAccount();
  const app = createAccount();
  const appSigner = createAccount();
  const operatorJwt = await encodeOperator('drex', operator, { signing_keys: [operatorSigner.getPublicKey()], system_account: sys.getPublicKey() });
  const sysJwt = await encodeAccount('SYS', sys, { limits: SYSTEM_ACCOUNT_LIMITS }, { signer: operatorSigner });
  const account: AppAccountSpec = {
    name: 'DREX',
    publicKey: app.getPublicKey(),
    claims: { limits: APP_ACCOUNT_LIMITS, signing_keys: [appSigner.getPublicKey()] },
  };
  const appJwt = await encodeAppAccount(account, operatorSigner);

  const admissionDir = join(o.dir, 'admission');
  writeSecretFile(join(o.dir, 'operator.nk'), seedText(operator));
  writeSecretFile(join(admissionDir, 'operator-signing.nk'), seedText(operatorSigner));
  writeSecretFile(join(admissionDir, 'account-signing.nk'), seedText(appSigner));
  writeFileSync(join(admissionDir, 'app-account.json'), JSON.stringify(account, null, 2));
  const sysUser = createUser();
  const sysUserJwt = await issueUserJwt({
    name: 'claims-push',
    user: sysUser,
    account: sys.getPublicKey(),
    signer: sys,
    permissions: {
      pub: { allow: ['$SYS.REQ.CLAIMS.UPDATE', '$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE'] },
      sub: { allow: [`${inboxPrefixOf(sysUser.getPublicKey())}.>`] },
    },
  });
  writeCredsFile(join(admissionDir, 'system.creds'), sysUserJwt, sysUser);

  const creds = {} as Record<NatsRole, string>;
  for (const role of ['orchestrator', 'aggregator', 'admin'] as const) {
    const user = createUser();
    const jwt = await issueUserJwt({
      name: role,
      user,
      account: app.getPublicKey(),
      signer: appSigner,
      permissions: rolePermissions(role, names, user.getPublicKey()),
      tags: [`role:${role}`],
    });
    creds[role] = join(o.dir, 'creds', `${role}.creds`);
    writeCredsFile(creds[role], jwt, user);
  }
  const { identity, seedHex } = generateIdentity();
  const workerKey = join(o.dir, 'creds', 'worker.key.json');
  writeSecretFile(workerKey, JSON.stringify({ type: 'ed25519', id: identity.id, seed: seedHex }, null, 2));
  const workerUser = userKeyFromEd25519Seed(seedHex);
  const workerJwt = await issueUserJwt({
    name: identity.id,
    user: workerUser,
    account: app.getPublicKey(),
    signer: appSigner,
    permissions: rolePermissions('worker', names, workerUser.getPublicKey(), identity.id),
    expiresAt: Math.floor((Date.now() + (o.workerCredsTtlMs ?? 24 * 3600_000)) / 1000),
    tags: ['role:worker'],
  });
  creds.worker = join(o.dir, 'creds', 'worker.creds');
  writeCredsFile(creds.worker, workerJwt, workerUser);

  const serverConfig = [
    `operator: ${JSON.stringify(operatorJwt)}`,
    `system_account: ${sys.getPublicKey()}`,
    `resolver: { type: full, dir: ${JSON.stringify(join(o.dir, 'resolver'))}, allow_delete: false, interval: "2m", timeout: "5s" }`,
    `resolver_preload: {`,
    `  ${sys.getPublicKey()}: ${JSON.stringify(sysJwt)}`,
    `  ${app.getPublicKey()}: ${JSON.stringify(appJwt)}`,
    `}`,
  ].join('\n');
  writeFileSync(join(o.dir, 'auth.conf'), serverConfig + '\n');
  return { dir: o.dir, serverConfig, creds, workerKey, admissionDir };
}
