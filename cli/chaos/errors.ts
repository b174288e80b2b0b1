import { DrexError } from '../../protocol/errors.ts';

/** Options of a chaos run that cannot work (a non-positive count, fewer transfers than batches). */
export class ChaosOptionError extends DrexError {
  override name = 'ChaosOptionError';
  readonly code = 'CHAOS_BAD_OPTION';
}

/** A batch that was not accepted before the run's deadline (or was refused for good). */
export class ChaosSubmitError extends DrexError {
  override name = 'ChaosSubmitError';
  readonly code = 'CHAOS_SUBMIT_FAILED';
}

/** The swarm under test could not be started or verified. */
export class ChaosSetupError extends DrexError {
  override name = 'ChaosSetupError';
  readonly code = 'CHAOS_SETUP_FAILED';
}

/** A gRPC call that took longer than its deadline (the client gives up on it). */
export class ChaosCallTimeoutError extends DrexError {
  override name = 'ChaosCallTimeoutError';
  readonly code = 'CHAOS_CALL_TIMEOUT';
  override readonly retryable = true;
}
