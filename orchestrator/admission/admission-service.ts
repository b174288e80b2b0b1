import { randomBytes } from 'node:crypto';
import { schemaIssues } from '../../protocol/parse-message.ts';
import { admissionRequestV1, admissionSigningBytes, type AdmissionGrantV1 } from '../../protocol/messages/admission.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import { verifySignature } from '../../swarm/identity/ed25519.ts';
import type { AdmissionKeys } from '../../swarm/nats-auth/nats-security.ts';
import { userPublicKeyOf } from '../../swarm/nats-auth/nkey-codec.ts';
import { inboxPrefixOf, rolePermissions } from '../../swarm/nats-auth/role-permissions.ts';
import { issueUserJwt } from '../../swarm/nats-auth/user-credentials.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { AdmissionRefusedError } from './admission-errors.ts';
import type { AdmissionStore } from './admission-store.ts';

/** Who may join: listed keys only, or anyone up to a quota of workers per operator. */
export type AdmissionPolicy = { mode: 'allowlist' } | { mode: 'open'; quotaPerOperator: number };

export interface AdmissionServiceOptions {
  names: NatsNames;
  keys: AdmissionKeys;
  store: AdmissionStore;
  policy: AdmissionPolicy;
  /** Lifetime of an issued credential; a worker renews before it ends. */
  credentialTtlMs: number;
  /** Lifetime of a challenge. Default 60 s. */
  challengeTtlMs?: number;
  log: Logger;
  onRefused?: (code: string) => void;
  onAdmitted?: () => void;
}

/**
 * The admission service: a worker proves possession of its Ed25519 key by signing a single-use
 * challenge, and under the policy receives NATS credentials bound to that key (the worker's NATS user
 * key is its Ed25519 key), with the worker role's permissions and an expiry.
 */
export class AdmissionService {
  constructor(private readonly o: AdmissionServiceOptions) {}

  /** A fresh single-use challenge. */
  async challenge(): Promise<{ nonce: string; expiresInMs: number }> {
    const nonce = randomBytes(16).toString('hex');
    const ttl = this.o.challengeTtlMs ?? 60_000;
    await this.o.store.putChallenge(nonce, ttl);
    return { nonce, expiresInMs: ttl };
  }

  /** Checks a signed request against the policy and issues a credential; throws AdmissionRefusedError. */
  async admit(body: unknown): Promise<AdmissionGrantV1> {
    try {
      return await this.decide(body);
    } catch (err) {
      if (err instanceof AdmissionRefusedError) {
        this.o.onRefused?.(err.code);
        this.o.log.warn('admission refused', { code: err.code, reason: err.message });
      }
      throw err;
    }
  }

  private async decide(body: unknown): Promise<AdmissionGrantV1> {
    const parsed = admissionRequestV1.safeParse(body);
    if (!parsed.success) {
      throw new AdmissionRefusedError('ADMISSION_REQUEST_INVALID', schemaIssues(parsed.error, 10));
    }
    const { signature, ...unsigned } = parsed.data;
    if (unsigned.deployment !== this.o.names.deployment) {
      throw new AdmissionRefusedError('ADMISSION_REQUEST_INVALID', `this admission service is for deployment ${this.o.names.deployment}, not ${unsigned.deployment}`);
    }
    if (!verifySignature(unsigned.workerId, admissionSigningBytes(unsigned), signature)) {
      throw new AdmissionRefusedError('ADMISSION_SIGNATURE_INVALID', 'the signature does not verify with the worker key');
    }
    // Only a valid signature consumes the challenge, so nobody can burn another's challenge.
    if (!(await this.o.store.takeChallenge(unsigned.nonce))) {
      throw new AdmissionRefusedError('ADMISSION_CHALLENGE_UNKNOWN', 'unknown, used or expired challenge: ask for a new one');
    }
    const { workerId, operator } = unsigned;
    if ((await this.o.store.revokedAt(workerId)) !== null) throw new AdmissionRefusedError('ADMISSION_REVOKED', `worker ${workerId} is revoked`);
    if (this.o.policy.mode === 'allowlist') {
      const allowed = await this.o.store.allowedOperator(workerId);
      if (allowed !== operator) {
        throw new AdmissionRefusedError('ADMISSION_NOT_ALLOWED', allowed === null ? `worker ${workerId} is not on the allowlist` : `worker ${workerId} is allowed for operator ${allowed}, not ${operator}`);
      }
    } else if (!(await this.o.store.takeQuotaSlot(workerId, operator, this.o.policy.quotaPerOperator))) {
      throw new AdmissionRefusedError('ADMISSION_QUOTA_EXCEEDED', `operator ${operator} already has ${this.o.policy.quotaPerOperator} admitted workers`);
    }
    const userPub = userPublicKeyOf(workerId);
    const expiresAtMs = Date.now() + this.o.credentialTtlMs;
    const jwt = await issueUserJwt({
      name: workerId,
      user: userPub,
      account: this.o.keys.account.publicKey,
      signer: this.o.keys.accountSigner,
      permissions: rolePermissions('worker', this.o.names, userPub, workerId, operator),
      expiresAt: Math.floor(expiresAtMs / 1000),
      tags: ['role:worker', `operator:${operator}`],
    });
    this.o.onAdmitted?.();
    this.o.log.info('worker admitted', { workerId, operator, expiresAtMs });
    return { v: 1, jwt, expiresAtMs: Math.floor(expiresAtMs / 1000) * 1000, inboxPrefix: inboxPrefixOf(userPub) };
  }
}
