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

/** An open batch has no record of what its plan did to the ledger state: the tip cannot be rebuilt. */
export class LedgerDeltaMissingError extends DrexError {
  override name = 'LedgerDeltaMissingError';
  readonly code = 'LEDGER_DELTA_MISSING';
  constructor(readonly batchId: string) {
    super(`open batch ${batchId} has no ledger delta (nor a snapshot from an older version): the planner cannot rebuild its state; restore Redis from a backup`);
  }
}
