import { z } from 'zod';
import { batchId, hex, sealedObjectRef } from './fields.ts';
import { leaseId } from './work.ts';

/**
 * Split proving (v1). A transfer's proof attempt (`proofId`, the attempt's job id) is computed by two
 * untrusted workers, each on one half of an additive secret sharing of the witness and the quotient
 * polynomial's values: each half is a job of its own on `drex.<d>.jobs.v1.half`, with id
 * `<proofId>.h0` or `<proofId>.h1`. A worker gets the five multi-scalar multiplications' scalars of its
 * half sealed (HPKE) to its own key; it answers with the five points.
 */

/** The job id of half `half` of proof attempt `proofId`. */
export function halfJobId(proofId: string, half: 0 | 1): string {
  return `${proofId}.h${half}`;
}

/**
 * The job id of the speculative copy of half job `halfJobId`: the same half, offered to a fast worker
 * while a slow one still holds the original (the first valid answer is kept, the other holder cancelled).
 */
export function speculativeHalfJobId(halfJobId: string): string {
  return `${halfJobId}.spec`;
}

/** The proof attempt and half a half job id (an original or its speculative copy) names, or null when it names none. */
export function splitHalfJobId(jobId: string): { proofId: string; half: 0 | 1; speculative: boolean } | null {
  const m = /^(.+)\.h([01])(\.spec)?$/.exec(jobId);
  return m ? { proofId: m[1]!, half: Number(m[2]) as 0 | 1, speculative: m[3] !== undefined } : null;
}

/** Object name, in the shares bucket, of a half's share sealed to the job gateway (by the witness generator). */
export function gatewayShareObject(halfJobId: string): string {
  return `share/${halfJobId}`;
}

/** Object name of a share re-sealed by the job gateway to the holder of lease `leaseId`. */
export function leaseShareObject(leaseId: string): string {
  return `lease/${leaseId}`;
}

/** A half job (v1), published by the witness generator; its share is sealed to the job gateway's key. */
export const halfJobV1 = z.object({
  v: z.literal(1),
  kind: z.literal('half'),
  jobId: z.string().min(1).max(200),
  proofId: z.string().min(1).max(200),
  half: z.union([z.literal(0), z.literal(1)]),
  batchId,
  index: z.number().int().min(0),
  planVersion: z.number().int().min(1),
  attempt: z.number().int().min(1),
  circuit: z.literal('transfer'),
  /** sha256 of the proving key: the MSM bases are its sections. */
  artifact: z.string().regex(/^[0-9a-f]{64}$/),
  /** The half's scalars, sealed to the job gateway (re-sealed to the taker when granted). */
  share: sealedObjectRef,
  /** How long one holder may keep the half: past it the gateway stops extending the lease and it goes to another worker. */
  deadlineMs: z.number().int().positive(),
  enqueuedMs: z.number().int().positive(),
});
export type HalfJobV1 = z.infer<typeof halfJobV1>;

/** A G1 point, affine, [x, y] as 32-byte big-endian hex; the identity is all zeros (EIP-196). */
const g1Json = z.tuple([hex(32), hex(32)]);
/** A G2 point, affine, [[x.c0, x.c1], [y.c0, y.c1]] as 32-byte big-endian hex; the identity is all zeros. */
const g2Json = z.tuple([z.tuple([hex(32), hex(32)]), z.tuple([hex(32), hex(32)])]);

/**
 * The five MSM results of one half, as a worker reports them (prover/msm-points.ts): the schema checks
 * their form; the aggregator checks that they are on their curves (G2 in its subgroup).
 */
export const msmPointsJson = z.object({ A: g1Json, B1: g1Json, B2: g2Json, C: g1Json, H: g1Json });
export type MsmPointsJson = z.infer<typeof msmPointsJson>;

/** A worker's answer to a half job (v1), on `drex.<d>.results.v1.<batchId>`, signed with its Ed25519 key. */
export const halfResultV1 = z.object({
  v: z.literal(1),
  kind: z.literal('half'),
  jobId: z.string().min(1).max(200),
  leaseId,
  batchId,
  index: z.number().int().min(0),
  workerId: hex(32),
  points: msmPointsJson,
  msmMs: z.number().nonnegative(),
  startedMs: z.number().int().positive(),
  finishedMs: z.number().int().positive(),
  /** Ed25519 signature over the canonical bytes of every other field (hex). */
  signature: hex(64),
});
export type HalfResultV1 = z.infer<typeof halfResultV1>;
export type UnsignedHalfResultV1 = Omit<HalfResultV1, 'signature'>;

/**
 * Who may hold the halves of one proof attempt (v1), in the splits bucket under the proof id: written by
 * the witness generator, updated by the job gateway (compare-and-set) as it grants halves. A worker that
 * held one half never gets the other, nor does a worker of an operator that held it. (Workers found wrong
 * on a transfer are excluded from all its attempts: the aggregator's `x.<transfer>` entries in the same
 * bucket.)
 */
export const splitRecordV1 = z.object({
  v: z.literal(1),
  proofId: z.string().min(1).max(200),
  /** Workers that were granted half 0, half 1. */
  holders: z.tuple([z.array(hex(32)).max(64), z.array(hex(32)).max(64)]),
  /** Their operators, when their membership entries named one. */
  operators: z.tuple([z.array(z.string().max(64)).max(64), z.array(z.string().max(64)).max(64)]),
});
export type SplitRecordV1 = z.infer<typeof splitRecordV1>;

/** One half's accepted answer, kept by the combiner (halves bucket, key = half job id) until its sibling arrives. */
export const heldHalfV1 = z.object({
  v: z.literal(1),
  jobId: z.string().min(1).max(200),
  workerId: hex(32),
  leaseId,
  points: msmPointsJson,
  msmMs: z.number().nonnegative(),
  startedMs: z.number().int().positive(),
  finishedMs: z.number().int().positive(),
});
export type HeldHalfV1 = z.infer<typeof heldHalfV1>;
