import { z } from 'zod';
import { canonicalBytes } from '../canonical.ts';
import { hex } from './fields.ts';

/** An operator name: who runs a worker (the unit of allowlists and quotas). */
export const operatorName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 characters of [a-z0-9._-] starting with a letter or digit');

/** A worker's request for NATS credentials (v1): proves possession of its Ed25519 key by signing a fresh challenge. */
export const admissionRequestV1 = z.object({
  v: z.literal(1),
  deployment: z.string(),
  workerId: hex(32),
  operator: operatorName,
  /** The challenge the admission service handed out (single use). */
  nonce: z.string().regex(/^[0-9a-f]{32}$/, 'must be 16 bytes of lowercase hex'),
  /** Ed25519 signature over admissionSigningBytes of the other fields (hex). */
  signature: hex(64),
});
export type AdmissionRequestV1 = z.infer<typeof admissionRequestV1>;

/** The bytes a worker signs to be admitted: a purpose tag keeps this signature from meaning anything else. */
export function admissionSigningBytes(r: Omit<AdmissionRequestV1, 'signature'>): Buffer {
  return canonicalBytes({ purpose: 'drex-admission-v1', ...r });
}

/** What an admitted worker receives. */
export const admissionGrantV1 = z.object({
  v: z.literal(1),
  /** NATS user JWT bound to the worker's key (its NATS user public key is the worker id, nkey-encoded). */
  jwt: z.string(),
  /** Unix milliseconds after which NATS refuses the credential. */
  expiresAtMs: z.number().int().positive(),
  /** The only inbox prefix the credential may subscribe under. */
  inboxPrefix: z.string(),
});
export type AdmissionGrantV1 = z.infer<typeof admissionGrantV1>;
