import { z } from 'zod';
import { AttestationPolicyError } from './attestation-errors.ts';
import { awsNitroRoot, trustedRoot, type TrustedRoot } from './trusted-roots.ts';

/** How old a document may be by default when it is checked: Nitro documents are made per request, so minutes. */
export const DEFAULT_MAX_AGE_MS = 5 * 60_000;
/** How far in the future of the check time a document's timestamp may be (clock skew). */
export const DEFAULT_FUTURE_SKEW_MS = 60_000;

const hex = (what: string) => z.string().regex(/^([0-9a-fA-F]{2})*$/, `${what} must be hex bytes`).transform((h) => h.toLowerCase());
const pcrValue = hex('a PCR value').refine((h) => [64, 96, 128].includes(h.length), 'a PCR value is 32, 48 or 64 bytes of hex');

/**
 * What a deployment (or a regulator) asks of a document, as configured:
 * - `roots`: the roots a chain may end in, each as PEM; absent: the AWS Nitro root only (pinned by fingerprint).
 *   A dev enclave's root is trusted only when listed here; it is never among the defaults.
 * - `allowedMeasurements`: sets of PCR index -> hex value; a document passes when every PCR of one set matches.
 *   Empty or absent: any measurement is accepted (the report still shows it).
 * - `maxAgeMs`: the oldest a document may be at the check time; `allowDebug`: accept debug-mode documents
 *   (PCR0-2 all zero; refused by default); `nonce`/`publicKey`: the hex bytes the document must carry.
 */
export const attestationPolicyOptionsSchema = z
  .object({
    roots: z.array(z.object({ name: z.string().min(1), pem: z.string().min(1) })).optional(),
    allowedMeasurements: z.array(z.record(z.string().regex(/^(?:[0-9]|[12][0-9]|3[01])$/, 'a PCR index is 0..31'), pcrValue).refine((m) => Object.keys(m).length > 0, 'a measurement names at least one PCR')).default([]),
    maxAgeMs: z.number().int().positive().default(DEFAULT_MAX_AGE_MS),
    futureSkewMs: z.number().int().nonnegative().default(DEFAULT_FUTURE_SKEW_MS),
    allowDebug: z.boolean().default(false),
    nonce: hex('the nonce').optional(),
    publicKey: hex('the public key').optional(),
  })
  .strict();
export type AttestationPolicyOptions = z.input<typeof attestationPolicyOptionsSchema>;

/** A checked policy, ready for `verifyAttestation`. */
export interface AttestationPolicy {
  readonly roots: TrustedRoot[];
  readonly allowedMeasurements: Record<string, string>[];
  readonly maxAgeMs: number;
  readonly futureSkewMs: number;
  readonly allowDebug: boolean;
  readonly nonce: string | null;
  readonly publicKey: string | null;
}

/** Checks policy options and loads their roots; an AttestationPolicyError says what is wrong. */
export async function attestationPolicy(options: AttestationPolicyOptions = {}): Promise<AttestationPolicy> {
  const parsed = attestationPolicyOptionsSchema.safeParse(options);
  if (!parsed.success) throw new AttestationPolicyError(`attestation policy: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const roots = o.roots ? await Promise.all(o.roots.map((r) => trustedRoot(r.name, r.pem))) : [await awsNitroRoot()];
  if (roots.length === 0) throw new AttestationPolicyError('attestation policy: at least one trusted root is needed');
  return { roots, allowedMeasurements: o.allowedMeasurements, maxAgeMs: o.maxAgeMs, futureSkewMs: o.futureSkewMs, allowDebug: o.allowDebug, nonce: o.nonce ?? null, publicKey: o.publicKey ?? null };
}
