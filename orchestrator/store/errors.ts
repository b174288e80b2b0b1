import { DrexError } from '../../protocol/errors.ts';

/**
 * A write carried a fencing token that is no longer the current leader's: another orchestrator took
 * over. Nothing was written; this process must stop acting on batch state.
 */
export class FencedOffError extends DrexError {
  override name = 'FencedOffError';
  readonly code = 'FENCED_OFF';
  constructor() {
    super('this orchestrator is no longer the leader: its write was refused (another orchestrator holds the lease)');
  }
}
