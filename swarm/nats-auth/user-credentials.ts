import { encodeUser, fmtCreds, type User } from '@nats-io/jwt';
import type { KeyPair } from '@nats-io/nkeys';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface IssueUserOptions {
  name: string;
  /** The user's key: a key pair, or only its public key (`U...`) when the user keeps its seed. */
  user: KeyPair | string;
  /** The account's public key (`A...`). */
  account: string;
  /** An account signing key listed in the account's JWT. */
  signer: KeyPair;
  permissions: Pick<User, 'pub' | 'sub' | 'resp'>;
  /** Expiry (unix seconds); none when absent. */
  expiresAt?: number;
  tags?: string[];
}

/** A user JWT issued by an account signing key. */
export function issueUserJwt(o: IssueUserOptions): Promise<string> {
  return encodeUser(
    o.name,
    o.user,
    o.account,
    { ...o.permissions, ...(o.tags ? { tags: o.tags } : {}) },
    { signer: o.signer, ...(o.expiresAt ? { exp: o.expiresAt } : {}) },
  );
}

/** Writes a standard NATS `.creds` file (JWT + user seed), mode 0600, atomically. */
export function writeCredsFile(path: string, jwt: string, user: KeyPair): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, fmtCreds(jwt, user), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Writes a secret text file (a seed), mode 0600, atomically. */
export function writeSecretFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}
