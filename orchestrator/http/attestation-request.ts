import { z } from 'zod';
import { AttestationFormatError } from '../../swarm/attestation/attestation-errors.ts';
import { decodeAttestationDocument, type AttestationDocument } from '../../swarm/attestation/attestation-document.ts';
import { documentBytes } from '../../swarm/attestation/document-input.ts';
import { AttestationMalformedError, AttestationTooLargeError, BadAttestationRequestError } from './api-errors.ts';

/** The most bytes a verify request may carry: a Nitro document is under 16 KiB (base64 and JSON add a third). */
export const MAX_ATTESTATION_BODY = 64 * 1024;

/** What to verify: the decoded document, the check time, and the nonce and key the caller expects (hex). */
export interface AttestationRequest {
  readonly document: AttestationDocument;
  readonly at: Date;
  readonly nonce?: string;
  readonly publicKey?: string;
}

const hex = z.string().regex(/^([0-9a-fA-F]{2})+$/, 'must be hex bytes').transform((h) => h.toLowerCase());
const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T/, 'must be an ISO time').transform((s) => new Date(s)).refine((d) => !Number.isNaN(d.getTime()), 'must be an ISO time');
const options = z.object({ at: iso.optional(), nonce: hex.optional(), publicKey: hex.optional() }).strict();
const jsonBody = options.extend({ document: z.string().min(1, 'must be the document in base64') }).strict();

function checked<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new BadAttestationRequestError(`${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}`, issue.message);
}

/** Decodes the document; a body that is not one is answered 400 ATTESTATION_MALFORMED with the reason. */
export function decodeOr400(bytes: Uint8Array): AttestationDocument {
  try {
    return decodeAttestationDocument(documentBytes(bytes));
  } catch (err) {
    if (err instanceof AttestationFormatError) throw new AttestationMalformedError(err.message);
    throw err;
  }
}

/**
 * Reads `POST /api/v1/attestations/verify`: a JSON body `{document: base64, at?, nonce?, publicKey?}`, or the raw
 * document (CBOR, any other content type) with `?at=&nonce=&publicKey=` in the query.
 */
export async function readAttestationRequest(req: Request, now: Date = new Date()): Promise<AttestationRequest> {
  const body = new Uint8Array(await req.arrayBuffer());
  if (body.length > MAX_ATTESTATION_BODY) throw new AttestationTooLargeError(`the body is ${body.length} bytes; an attestation document is far smaller (at most ${MAX_ATTESTATION_BODY})`);
  const url = new URL(req.url);
  const isJson = /^application\/json\b/i.test(req.headers.get('content-type') ?? '');
  if (isJson) {
    if ([...url.searchParams.keys()].length > 0) throw new BadAttestationRequestError('query', 'with a JSON body, give at, nonce and publicKey in the body');
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      throw new BadAttestationRequestError('body', 'is not JSON');
    }
    const b = checked(jsonBody, parsed, 'body');
    return { document: decodeOr400(Buffer.from(b.document)), at: b.at ?? now, nonce: b.nonce, publicKey: b.publicKey };
  }
  const q = checked(options, Object.fromEntries(url.searchParams), 'query');
  if (body.length === 0) throw new BadAttestationRequestError('body', 'is empty: send the document (CBOR or base64), or JSON {document}');
  return { document: decodeOr400(body), at: q.at ?? now, nonce: q.nonce, publicKey: q.publicKey };
}
