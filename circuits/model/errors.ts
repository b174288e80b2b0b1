import { DrexError } from '../../protocol/errors.ts';
/** Why a transfer was refused before any proving time was spent. */
export type TransferRejection =
  | 'INSUFFICIENT_FUNDS'
  | 'UNBALANCED'
  | 'AMOUNT_OUT_OF_RANGE'
  | 'OVER_COMPLIANCE_LIMIT'
  | 'BAD_SIGNATURE'
  | 'NOTE_NOT_IN_TREE'
  | 'NOTE_NOT_OWNED'
  | 'ROOT_MISMATCH'
  | 'NULLIFIER_REUSED'
  | 'INTENT_REPLAYED'
  | 'NOT_MINTER'
  | 'ASSET_MISMATCH'
  | 'TREE_FULL'
  | 'MALFORMED_INTENT';

/**
 * A transfer that cannot be proved, with a machine-readable `code`, the index of the offending
 * transfer in its list (when known) and a message a person can act on.
 */
export class TransferRejectedError extends DrexError {
  override name = 'TransferRejectedError';
  constructor(
    readonly code: TransferRejection,
    message: string,
    readonly transferIndex?: number,
  ) {
    super(transferIndex === undefined ? message : `transfer #${transferIndex}: ${message}`);
  }

  /** The same error, located at position `index` of a list of transfers. */
  at(index: number): TransferRejectedError {
    if (this.transferIndex !== undefined) return this;
    return new TransferRejectedError(this.code, this.message, index);
  }
}

export function reject(code: TransferRejection, message: string): never {
  throw new TransferRejectedError(code, message);
}
