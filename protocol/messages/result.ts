import { z } from 'zod';
import { batchId, fieldString, groth16Proof, hex } from './fields.ts';
import { leaseId } from './work.ts';
import { TRANSFER_PUBLIC_INPUTS } from '../transfer-public-inputs.ts';

/** A worker's result (v1), published on `drex.results.v1.<batchId>`, signed with its Ed25519 key. */
export const resultV1 = z.object({
  v: z.literal(1),
  jobId: z.string().min(1).max(200),
  /** The job gateway's lease under which the worker proved it: only the current lease's holder counts. */
  leaseId,
  batchId,
  index: z.number().int().min(0),
  /** Ed25519 public key of the worker (raw 32 bytes, hex). */
  workerId: hex(32),
  proof: groth16Proof,
  publicSignals: z.array(fieldString).length(TRANSFER_PUBLIC_INPUTS.count),
  witnessMs: z.number().nonnegative(),
  proveMs: z.number().nonnegative(),
  startedMs: z.number().int().positive(),
  finishedMs: z.number().int().positive(),
  /** Ed25519 signature over the canonical bytes of every other field (hex). */
  signature: hex(64),
});
export type ResultV1 = z.infer<typeof resultV1>;
export type UnsignedResultV1 = Omit<ResultV1, 'signature'>;
