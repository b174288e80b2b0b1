import { z } from 'zod';
import { batchId, fieldString, groth16Proof, producerSignature, type Unsigned } from './fields.ts';
import { TRANSFER_PUBLIC_INPUTS } from '../transfer-public-inputs.ts';
import { ledgerPointWire } from '../ledger-point.ts';

/** A batch whose every proof is verified (v1), on `drex.ready.v1.batch`: the input of settlement. */
export const batchReadyV1 = z.object({
  v: z.literal(1),
  batchId,
  planVersion: z.number().int().min(1),
  /** sha256 of the proving key the proofs were made with (their verification key's artifact set). */
  artifact: z.string().regex(/^[0-9a-f]{64}$/),
  /** The ledger points of the batch's plan: before its first proof, then after each proof. */
  points: z.array(ledgerPointWire).min(2),
  /** The deployment's domain the batch's intents were signed in. */
  domain: fieldString.optional(),
  items: z
    .array(z.object({ index: z.number().int().min(0), proof: groth16Proof, publicSignals: z.array(fieldString).length(TRANSFER_PUBLIC_INPUTS.count) }))
    .min(1),
});
export type BatchReadyV1 = z.infer<typeof batchReadyV1>;

/**
 * The outcome of settling one batch (v1), on `drex.settled.v1.batch`, signed by the aggregator that
 * settled it (`signer`, `signature`); the orchestrator acts only on outcomes signed by a configured key.
 */
export const batchSettledV1 = z.discriminatedUnion('ok', [
  z.object({
    v: z.literal(1),
    ok: z.literal(true),
    batchId,
    planVersion: z.number().int().min(1),
    txHash: z.string().regex(/^0x[0-9a-f]{64}$/),
    block: z.number().int().min(0),
    gasUsed: z.number().int().min(0),
    aggregationRoot: z.string().regex(/^0x[0-9a-f]{64}$/),
    ...producerSignature,
  }),
  z.object({
    v: z.literal(1),
    ok: z.literal(false),
    batchId,
    planVersion: z.number().int().min(1),
    /**
     * PROOF_INVALID: the bad proof indices are to be proved again. Permanent for this plan:
     * REVERTED (the ledger refused the batch), PACKAGE_INVALID (no settlement package can be built from
     * it), DIVERGED (the chain holds another settlement under this batch id).
     */
    code: z.enum(['PROOF_INVALID', 'REVERTED', 'PACKAGE_INVALID', 'DIVERGED']),
    badIndices: z.array(z.number().int().min(0)).default([]),
    reason: z.string(),
    ...producerSignature,
  }),
]);
export type BatchSettledV1 = z.infer<typeof batchSettledV1>;
export type UnsignedBatchSettledV1 = Unsigned<BatchSettledV1>;
