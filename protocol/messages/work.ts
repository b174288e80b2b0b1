import { z } from 'zod';
import { hex, sealedObjectRef } from './fields.ts';

/**
 * The job gateway's protocol (v1): workers take jobs, signal progress and release them by request/reply
 * on `drex.<d>.work.v1.{take,progress,release}`; each request is signed by the worker's Ed25519 key over
 * the canonical bytes of every other field, and carries its time (checked against a skew window).
 */

/**
 * A lease id: `<lease key>.<32 hex random>`. The lease key names the lease's entry in the leases KV
 * bucket: `j.<base64url of the job id>`, or `s.<stream seq>` for a message without a readable job id.
 */
export const LEASE_ID = /^(j\.[A-Za-z0-9_-]{1,300}|s\.\d{1,20})\.[0-9a-f]{32}$/;
export const leaseId = z.string().regex(LEASE_ID, 'must be a lease id');

/** Key in the leases bucket of the lease on job `jobId`. */
export function leaseKeyOfJob(jobId: string): string {
  return `j.${Buffer.from(jobId, 'utf8').toString('base64url')}`;
}

/** Key in the leases bucket of the lease on a job message without a readable job id. */
export function leaseKeyOfSeq(seq: number): string {
  return `s.${seq}`;
}

/** The lease key a lease id names. */
export function leaseKeyOf(id: string): string {
  return id.slice(0, id.lastIndexOf('.'));
}

const signedBy = {
  v: z.literal(1),
  /** The worker's Ed25519 public key (hex): it signs the request. */
  workerId: hex(32),
  /** Epoch ms when the request was signed. */
  ts: z.number().int().positive(),
  /** Ed25519 signature over the canonical bytes of every other field (hex). */
  signature: hex(64),
};

/** Asks for up to `max` jobs, waiting at most `waitMs` (capped by the gateway) for the first one. */
export const takeRequestV1 = z.object({
  ...signedBy,
  max: z.number().int().min(1).max(64),
  waitMs: z.number().int().min(0).max(600_000),
});
export type TakeRequestV1 = z.infer<typeof takeRequestV1>;

/** The holder of a lease is still working on its job (an in-progress signal to JetStream). */
export const progressRequestV1 = z.object({ ...signedBy, leaseId });
export type ProgressRequestV1 = z.infer<typeof progressRequestV1>;

/**
 * The holder of a lease is done with its job: `ack` (its result is published), `nak` (deliver again,
 * after `delayMs`), or `term` (never again, for `reason`).
 */
export const releaseRequestV1 = z.object({
  ...signedBy,
  leaseId,
  outcome: z.enum(['ack', 'nak', 'term']),
  delayMs: z.number().int().min(0).max(86_400_000).optional(),
  reason: z.string().max(500).optional(),
});
export type ReleaseRequestV1 = z.infer<typeof releaseRequestV1>;

export type UnsignedWorkRequest<T> = Omit<T, 'signature'>;

/** Why the gateway refused a request. */
export const workErrorCode = z.enum([
  /** Not JSON or not of the request's schema. */
  'MALFORMED',
  /** Not signed by the worker it names. */
  'BAD_SIGNATURE',
  /** Its time is outside the gateway's skew window. */
  'STALE_REQUEST',
  /** The signer is not a live member (take only). */
  'NOT_A_MEMBER',
  /** The signer's reputation is below the threshold (take only): it gets no work until its record recovers. */
  'LOW_REPUTATION',
  /** The lease is not current or not the signer's: the job was released, or delivered to someone else. */
  'LEASE_LOST',
  /** The gateway could not reach JetStream; try again. */
  'UNAVAILABLE',
]);
export type WorkErrorCode = z.infer<typeof workErrorCode>;

const refusal = z.object({ ok: z.literal(false), code: workErrorCode, message: z.string() });

/** One job granted to the taker. */
export const grantedJobV1 = z.object({
  leaseId,
  /** How many times JetStream delivered this job (1 the first time). */
  deliveryCount: z.number().int().min(1),
  /** The job message's bytes as stored in the jobs stream, base64. */
  job: z.string(),
  /** A half job's share, re-sealed to the taker's seal key (HPKE, bound to the lease id). */
  share: sealedObjectRef.optional(),
});
export type GrantedJobV1 = z.infer<typeof grantedJobV1>;

export const takeReplyV1 = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The `provers` consumer's ack wait: signal progress well within it (about a third). */
    ackWaitMs: z.number().int().positive(),
    jobs: z.array(grantedJobV1),
  }),
  refusal,
]);
export type TakeReplyV1 = z.infer<typeof takeReplyV1>;

/** Reply to progress and release requests. */
export const workReplyV1 = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true) }), refusal]);
export type WorkReplyV1 = z.infer<typeof workReplyV1>;

/**
 * A lease (v1) in the leases bucket, under its lease key: who holds which delivery of a job. Written by
 * the gateway when it grants the job; replaced when JetStream delivers the job again (to whoever takes
 * it); marked `acked` (kept until the bucket's TTL) when its holder acks, so that result intake can still
 * attribute the holder's result; deleted on nak and term.
 */
/**
 * A TEE worker's attestation as the job gateway verified it when it granted a whole job: the enclave's
 * module id, its measurement (PCR0, hex), the trusted root the chain ends in, and until when the pass held.
 */
export const grantAttestationV1 = z.object({
  moduleId: z.string().max(200),
  pcr0: z.string().regex(/^[0-9a-f]*$/).max(128),
  root: z.string().max(200),
  untilMs: z.number().int().positive(),
});
export type GrantAttestationV1 = z.infer<typeof grantAttestationV1>;

export const leaseV1 = z.object({
  v: z.literal(1),
  leaseId,
  workerId: hex(32),
  /** The job id when the message has one. */
  jobId: z.string().max(200).optional(),
  /** The job's stream sequence. */
  seq: z.number().int().positive(),
  deliveryCount: z.number().int().min(1),
  /** The delivery's ack subject (`msg.reply`): acks, naks, progress and terms are published to it. */
  ackSubject: z.string().startsWith('$JS.ACK.'),
  grantedMs: z.number().int().positive(),
  /** Epoch ms past which the holder may not extend the lease (half jobs): the job goes to another worker. */
  deadlineMs: z.number().int().positive().optional(),
  /** Set once a speculative copy of this half was offered to other workers (the holder was slow). */
  speculated: z.literal(true).optional(),
  /** A whole job granted to an attested TEE worker: its attestation then. */
  attestation: grantAttestationV1.optional(),
  state: z.enum(['held', 'acked']),
});
export type LeaseV1 = z.infer<typeof leaseV1>;
