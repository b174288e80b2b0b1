import type { JobV1 } from '../../protocol/messages/job.ts';
import type { ProofResult, ProverArtifacts } from '../prover/groth16-prover.ts';
import type { HalfMsmResult } from '../runtime/signed-half-result.ts';

/** What a thread is asked to compute: a whole proof of a job's inputs, or the five MSMs of one half. */
export type ThreadWork = { kind: 'prove'; input: JobV1['input'] } | { kind: 'msm'; witness: Uint8Array; quotient: Uint8Array };

/** Messages from the pool to a prover thread. */
export type ToProveThread =
  | {
      type: 'prove';
      id: number;
      artifactHash: string;
      /** The artifact set's bytes, sent only the first time this thread proves with it. */
      load?: ProverArtifacts;
      /** Artifact sets the thread drops (the pool keeps a bounded number per thread). */
      evict?: string[];
      work: ThreadWork;
    }
  | { type: 'close' };

/** An error crossing the thread boundary. */
export interface ThreadErrorInfo {
  name: string;
  code?: string;
  message: string;
}

/** Messages from a prover thread to the pool. */
export type FromProveThread =
  | { type: 'ready' }
  | { type: 'done'; id: number; result: ProofResult | HalfMsmResult }
  | { type: 'failed'; id: number; error: ThreadErrorInfo }
  | { type: 'closed' };
