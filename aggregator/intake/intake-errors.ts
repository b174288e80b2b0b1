import { DrexError } from '../../protocol/errors.ts';
import type { RejectionReason } from '../../protocol/messages/verdict.ts';

/**
 * Why a result is dropped without a verdict: it cannot be attributed to a live worker answering the job
 * it names, so it must not touch the job (anyone who can publish could send it).
 */
export type DropReason = Extract<RejectionReason, 'MALFORMED' | 'UNKNOWN_JOB' | 'BAD_SIGNATURE' | 'NOT_A_MEMBER' | 'NOT_LEASE_HOLDER'>;

/** Why an attributed result (signed by a live member) is rejected with a verdict that re-issues its job. */
export type VerdictReason = Extract<RejectionReason, 'WRONG_PUBLIC_SIGNALS' | 'PROOF_INVALID' | 'WRONG_HALF'>;

/** A result dropped: counted and logged, no verdict. `jobId` and `workerId` are what it claims, if anything. */
export class DroppedResult extends DrexError {
  override name = 'DroppedResult';
  readonly code = 'RESULT_DROPPED';
  constructor(
    readonly reason: DropReason,
    message: string,
    readonly claimed: { jobId?: string; workerId?: string } = {},
  ) {
    super(message);
  }
}

/** A result of a live member that answers its job wrongly: rejected with a verdict. */
export class RefusedResult extends DrexError {
  override name = 'RefusedResult';
  readonly code = 'RESULT_REFUSED';
  constructor(
    readonly reason: VerdictReason,
    message: string,
  ) {
    super(message);
  }
}
