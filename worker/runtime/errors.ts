import { DrexError } from '../../protocol/errors.ts';
/** Errors of the worker runtime. Each carries a stable `code` and a message a person can act on. */

/** Base class of the worker's errors. */
export class WorkerError extends DrexError {
  override name = 'WorkerError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An artifact set is missing from the object store or does not match its content hash. */
export class ArtifactError extends WorkerError {
  override name = 'ArtifactError';
  constructor(code: 'ARTIFACT_MISSING' | 'ARTIFACT_INVALID', message: string) {
    super(code, message);
  }
}

/** The JetStream topology (jobs stream and consumer, buckets) did not appear in time. */
export class TopologyUnavailableError extends WorkerError {
  override name = 'TopologyUnavailableError';
  constructor(message: string) {
    super('TOPOLOGY_UNAVAILABLE', message);
  }
}

/** A prover thread failed to start or died while proving. */
export class ProverThreadError extends WorkerError {
  override name = 'ProverThreadError';
  constructor(message: string) {
    super('PROVER_THREAD_FAILED', message);
  }
}

/** The prover pool was closed before (or while) a proof was asked for. */
export class ProverPoolClosedError extends WorkerError {
  override name = 'ProverPoolClosedError';
  constructor() {
    super('PROVER_POOL_CLOSED', 'the prover pool is closed');
  }
}

/** The prover produced output that is not a valid result (wrong number of public signals, bad proof shape). */
export class ProverOutputError extends WorkerError {
  override name = 'ProverOutputError';
  constructor(message: string) {
    super('PROVER_OUTPUT_INVALID', message);
  }
}

/** Proving failed for a reason other than the circuit refusing the inputs (e.g. a witness/key mismatch). */
export class ProveFailedError extends WorkerError {
  override name = 'ProveFailedError';
  constructor(message: string) {
    super('PROVE_FAILED', message);
  }
}

/** The job gateway refused a request (its code: LEASE_LOST, NOT_A_MEMBER, STALE_REQUEST, ...). */
export class GatewayRefusedError extends WorkerError {
  override name = 'GatewayRefusedError';
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** No job gateway answered (none running, a timeout) or its answer was not a reply of the protocol. */
export class GatewayUnavailableError extends WorkerError {
  override name = 'GatewayUnavailableError';
  override readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('GATEWAY_UNAVAILABLE', message, options);
  }
}

/** Why a half job's share cannot be used: not readable, not in the store, not the granted size, not sealed to this worker's key for this lease, or not a half of the proving key. */
export type ShareErrorCode = 'SHARE_MISSING' | 'SHARE_UNREADABLE' | 'SHARE_SIZE_MISMATCH' | 'SHARE_NOT_OPENED' | 'SHARE_MALFORMED';

/** A half job's sealed share that this worker cannot read, open or decode: it never will under this lease. */
export class ShareError extends WorkerError {
  override name = 'ShareError';
  constructor(code: ShareErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Every membership replica that answered refused this worker's entry (a clock far off, a field out of bounds). */
export class MembershipRefusedError extends WorkerError {
  override name = 'MembershipRefusedError';
  constructor(message: string) {
    super('MEMBERSHIP_REFUSED', message);
  }
}
