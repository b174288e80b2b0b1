import { z } from 'zod';
import { hex } from './fields.ts';

/** A request for a TEE worker's attestation document: the verifier's fresh nonce (32 bytes). */
export const attestRequestV1 = z.object({ v: z.literal(1), nonce: hex(32) }).strict();
export type AttestRequestV1 = z.infer<typeof attestRequestV1>;

/** A TEE worker's answer: its attestation document (raw COSE_Sign1, base64), or why it has none. */
export const attestReplyV1 = z.union([
  z.object({ v: z.literal(1), ok: z.literal(true), document: z.string().min(1).max(65_536) }).strict(),
  z.object({ v: z.literal(1), ok: z.literal(false), message: z.string().max(500) }).strict(),
]);
export type AttestReplyV1 = z.infer<typeof attestReplyV1>;
