import { z } from 'zod';
import { batchId, fieldString, groth16Proof, hex, producerSignature, type Unsigned } from './fields.ts';
import { TRANSFER_PUBLIC_INPUTS } from '../transfer-public-inputs.ts';
import { grantAttestationV1 } from './work.ts';

/** Why the aggregator refused a result. */
export const rejectionReason = z.enum([
  'MALFORMED',
  'BAD_SIGNATURE',
  'NOT_A_MEMBER',
  'UNKNOWN_JOB',
  /** Not from the worker holding the job's current lease (job gateway). */
  'NOT_LEASE_HOLDER',
  'WRONG_PUBLIC_SIGNALS',
  'PROOF_INVALID',
  /** Split proving: the halves did not combine into a valid proof and recomputing showed this worker's points wrong. */
  'WRONG_HALF',
]);
export type RejectionReason = z.infer<typeof rejectionReason>;

/**
 * The aggregator's verdict on one result (v1), on `drex.verdicts.v1.<batchId>`, signed by the aggregator
 * (`signer`, `signature`): the orchestrator acts only on verdicts signed by a key it is configured with.
 */
export const verdictV1 = z.discriminatedUnion('accepted', [
  z.object({
    v: z.literal(1),
    accepted: z.literal(true),
    jobId: z.string(),
    batchId,
    index: z.number().int().min(0),
    planVersion: z.number().int().min(1),
    workerId: hex(32),
    /** Split proving: the workers of half 0 and half 1. */
    halfWorkers: z.tuple([hex(32), hex(32)]).optional(),
    /** A whole job proved by an attested TEE worker: its attestation when the job was granted. */
    attestation: grantAttestationV1.optional(),
    proof: groth16Proof,
    publicSignals: z.array(fieldString).length(TRANSFER_PUBLIC_INPUTS.count),
    proveMs: z.number().nonnegative(),
    /** Worker-reported timings, for pipeline-overhead accounting. */
    witnessMs: z.number().nonnegative().optional(),
    startedMs: z.number().int().positive().optional(),
    finishedMs: z.number().int().positive().optional(),
    enqueuedMs: z.number().int().positive(),
    verifiedMs: z.number().int().positive(),
    ...producerSignature,
  }),
  z.object({
    v: z.literal(1),
    accepted: z.literal(false),
    jobId: z.string(),
    batchId,
    index: z.number().int().min(0),
    planVersion: z.number().int().min(0),
    workerId: z.string(),
    reason: rejectionReason,
    detail: z.string(),
    verifiedMs: z.number().int().positive(),
    ...producerSignature,
  }),
]);
export type VerdictV1 = z.infer<typeof verdictV1>;
export type UnsignedVerdictV1 = Unsigned<VerdictV1>;
