import { canonicalBytes } from '../../protocol/canonical.ts';
import { halfResultV1, type HalfJobV1, type HalfResultV1, type MsmPointsJson, type UnsignedHalfResultV1 } from '../../protocol/messages/half.ts';
import { schemaIssues } from '../../protocol/parse-message.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import { ProverOutputError } from './errors.ts';

/** The five points of one half and how long their MSMs took. */
export interface HalfMsmResult {
  points: MsmPointsJson;
  msmMs: number;
}

/**
 * Builds the answer to half job `job` under lease `leaseId`, signs it over its canonical bytes and checks
 * it against halfResultV1 (a ProverOutputError when the points are not of the wire format).
 */
export function signedHalfResult(identity: Identity, job: HalfJobV1, leaseId: string, msm: HalfMsmResult, startedMs: number, finishedMs: number): HalfResultV1 {
  const unsigned: UnsignedHalfResultV1 = {
    v: 1,
    kind: 'half',
    jobId: job.jobId,
    leaseId,
    batchId: job.batchId,
    index: job.index,
    workerId: identity.id,
    points: msm.points,
    msmMs: Math.round(msm.msmMs * 1000) / 1000,
    startedMs,
    finishedMs,
  };
  const parsed = halfResultV1.safeParse({ ...unsigned, signature: identity.sign(canonicalBytes(unsigned)) });
  if (!parsed.success) throw new ProverOutputError(`the MSM output is not a valid half result: ${schemaIssues(parsed.error, 5)}`);
  return parsed.data;
}
