import { z } from 'zod';
import { AttestationFormatError } from './attestation-errors.ts';
import { decodeCbor, decodeCoseSign1, type CoseSign1 } from './cose-sign1.ts';

const bytes = (min: number, max: number) =>
  z.instanceof(Uint8Array).refine((b) => b.length >= min && b.length <= max, { message: `must be ${min} to ${max} bytes` });
const optionalBytes = (max: number) => bytes(0, max).nullable().optional().transform((v) => v ?? null);

/** The PCR lengths a document may carry (SHA-256, SHA-384, SHA-512 banks); Nitro uses SHA-384. */
const PCR_LENGTHS = new Set([32, 48, 64]);

/**
 * The payload of an AWS Nitro Enclaves attestation document, as the Nitro Secure Module API specifies it:
 * `module_id`, `digest` ('SHA384'), `timestamp` (ms since the epoch), `pcrs` (index 0..31 -> digest),
 * `certificate` (the leaf, DER), `cabundle` (root first, DER each), and the optional `public_key` (up to 1024
 * bytes), `user_data` and `nonce` (up to 512 bytes each). Absent optional fields read as null.
 */
export const attestationPayloadSchema = z
  .object({
    module_id: z.string().min(1).max(256),
    digest: z.literal('SHA384'),
    timestamp: z.union([z.number(), z.bigint()]).transform((t) => Number(t)).pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)),
    pcrs: z
      .instanceof(Map)
      .transform((m, ctx) => {
        const out = new Map<number, Uint8Array>();
        for (const [k, v] of m as Map<unknown, unknown>) {
          if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > 31) ctx.addIssue({ code: 'custom', message: `PCR index ${String(k)} is not an integer 0..31` });
          else if (!(v instanceof Uint8Array) || !PCR_LENGTHS.has(v.length)) ctx.addIssue({ code: 'custom', message: `PCR${k} is not a 32, 48 or 64-byte string` });
          else out.set(k, v);
        }
        if (out.size === 0 || out.size > 32) ctx.addIssue({ code: 'custom', message: 'there must be 1 to 32 PCRs' });
        return out;
      }),
    certificate: bytes(1, 1024),
    cabundle: z.array(bytes(1, 1024)).min(1),
    public_key: optionalBytes(1024),
    user_data: optionalBytes(512),
    nonce: optionalBytes(512),
  })
  .strict();

export type AttestationPayload = z.output<typeof attestationPayloadSchema>;

/** A decoded attestation document: its COSE_Sign1 envelope and its checked payload. */
export interface AttestationDocument {
  readonly cose: CoseSign1;
  readonly payload: AttestationPayload;
}

/**
 * Decodes a raw attestation document (untagged or tag-18 COSE_Sign1 over a CBOR map, definite or
 * indefinite length). Checks form only, not signatures: an AttestationFormatError says what is wrong.
 */
export function decodeAttestationDocument(raw: Uint8Array): AttestationDocument {
  const cose = decodeCoseSign1(raw);
  const map = decodeCbor(cose.payload, 'the payload');
  if (!(map instanceof Map)) throw new AttestationFormatError('the payload is not a CBOR map');
  for (const k of (map as Map<unknown, unknown>).keys()) {
    if (typeof k !== 'string') throw new AttestationFormatError(`the payload has a key that is not text (${String(k)})`);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a key (and is refused as unknown).
  const obj = Object.fromEntries(map as Map<string, unknown>);
  const parsed = attestationPayloadSchema.safeParse(obj);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
    throw new AttestationFormatError(`the payload is not an attestation document: ${why}`);
  }
  return { cose, payload: parsed.data };
}
