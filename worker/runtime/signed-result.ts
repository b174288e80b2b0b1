import { canonicalBytes } from '../../protocol/canonical.ts';
import type { JobV1 } from '../../protocol/messages/job.ts';
import { resultV1, type ResultV1, type UnsignedResultV1 } from '../../protocol/messages/result.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { ProofResult } from '../prover/groth16-prover.ts';
import { ProverOutputError } from './errors.ts';

/** Builds the result of `job` under lease `leaseId`, signs it over its canonical bytes and checks it against resultV1. */
export function signedResult(identity: Identity, job: JobV1, leaseId: string, proof: ProofResult, startedMs: number, finishedMs: number): ResultV1 {
  const unsigned: UnsignedResultV1 = {
    v: 1,
    jobId: job.jobId,
    leaseId,
    batchId: job.batchId,
    index: job.index,
    workerId: identity.id,
    proof: proof.proof as ResultV1['proof'],
    publicSignals: proof.publicSignals,
    witnessMs: Math.round(proof.witnessMs * 1000) / 1000,
    proveMs: Math.round(proof.proveMs * 1000) / 1000,
    startedMs,
    finishedMs,
  };
  const parsed = resultV1.safeParse({ ...unsigned, signature: identity.sign(canonicalBytes(unsigned)) });
  if (!parsed.success) {
    throw new ProverOutputError(`the prover's output is not a valid result: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
