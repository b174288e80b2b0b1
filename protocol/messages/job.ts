import { z } from 'zod';
import { batchId, fieldString, sealedObjectRef } from './fields.ts';
import { TRANSFER_PUBLIC_INPUTS } from '../transfer-public-inputs.ts';

/**
 * A proof's circuit inputs (decimal strings, nested as the circuit's arrays: per slot, per input note,
 * per level): what a whole job's sealed share opens to.
 */
export const circuitInput = z.record(
  z.string(),
  z.union([fieldString, z.array(fieldString), z.array(z.array(fieldString)), z.array(z.array(z.array(fieldString)))]),
);
export type CircuitInput = z.infer<typeof circuitInput>;

/**
 * A whole proving job (v1): one proof of k transfers to prove, published on `drex.<d>.jobs.v1.transfer`, for workers
 * the deployment trusts. Its inputs travel sealed: to the job gateway (bound to the job id), which
 * re-seals them to the trusted worker that takes the job (bound to its lease id).
 */
export const jobV1 = z.object({
  v: z.literal(1),
  jobId: z.string().min(1).max(200),
  batchId,
  /** Position of the proof in its batch. */
  index: z.number().int().min(0),
  /** Plan version of the batch: bumped when a batch is re-planned; older jobs are obsolete. */
  planVersion: z.number().int().min(1),
  attempt: z.number().int().min(1),
  circuit: z.literal('transfer'),
  /** sha256 of the proving key: workers fetch artifacts by this hash. */
  artifact: z.string().regex(/^[0-9a-f]{64}$/),
  /** The circuit inputs (JSON of a circuitInput), sealed to the job gateway. */
  sealed: sealedObjectRef,
  /**
   * When it was published. A job has no wall-clock deadline: however long it waits in the queue, it is
   * proved when its turn comes (a result for a superseded plan is refused by the aggregator).
   */
  enqueuedMs: z.number().int().positive(),
});
export type JobV1 = z.infer<typeof jobV1>;

/** What the planner expects a job to prove, stored in the jobs KV bucket under the job id. */
export const jobExpectationV1 = z.object({
  v: z.literal(1),
  jobId: z.string().min(1),
  batchId,
  index: z.number().int().min(0),
  planVersion: z.number().int().min(1),
  attempt: z.number().int().min(1),
  artifact: z.string().regex(/^[0-9a-f]{64}$/),
  publicSignals: z.array(fieldString).length(TRANSFER_PUBLIC_INPUTS.count),
  enqueuedMs: z.number().int().positive(),
});
export type JobExpectationV1 = z.infer<typeof jobExpectationV1>;
