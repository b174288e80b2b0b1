import { encodeAccount, type Account } from '@nats-io/jwt';
import type { KeyPair } from '@nats-io/nkeys';

/** The application account's claims other than its revocations (kept beside the admission keys). */
export interface AppAccountSpec {
  name: string;
  /** The account's public key (`A...`). */
  publicKey: string;
  /** Its claims (`nats` part of the JWT) without revocations. */
  claims: Partial<Account>;
}

/** JetStream without limits for the application account (the server's own limits still apply). */
export const APP_ACCOUNT_LIMITS: Account['limits'] = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

/** The system account: connections and subscriptions without limits, no JetStream. */
export const SYSTEM_ACCOUNT_LIMITS: Account['limits'] = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

/**
 * The application account's JWT, signed by an operator signing key, with `revocations` (NATS user
 * public key -> unix seconds: credentials of that user issued at or before that time are refused, and
 * its open connections are closed when the server receives this JWT).
 */
export function encodeAppAccount(spec: AppAccountSpec, operatorSigner: KeyPair, revocations: Record<string, number> = {}): Promise<string> {
  const claims: Partial<Account> = { ...spec.claims, ...(Object.keys(revocations).length ? { revocations } : {}) };
  return encodeAccount(spec.name, spec.publicKey, claims, { signer: operatorSigner });
}
