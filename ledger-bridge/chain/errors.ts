import { DrexError } from '../../protocol/errors.ts';
/** Errors of the ledger bridge's chain client; each carries a stable `code`. */

/** The chain could not be reached (or did not answer) within the retry policy. */
export class ChainUnavailableError extends DrexError {
  override name = 'ChainUnavailableError';
  readonly code = 'CHAIN_UNAVAILABLE';
  override readonly retryable = true;
}

/** A contract call or transaction reverted; the custom error is decoded by name. */
export class ContractRevertedError extends DrexError {
  override name = 'ContractRevertedError';
  readonly code: 'CONTRACT_REVERTED' | 'SETTLEMENT_REVERTED' = 'CONTRACT_REVERTED';
  constructor(
    /** What was being done, e.g. `deploy DrexSettlement`. */
    readonly what: string,
    /** The Solidity custom error's name (e.g. `NullifierSpent`), `Error` for a reason string, `Unknown` when it did not decode. */
    readonly errorName: string,
    readonly args: readonly unknown[],
    /** The mined transaction that reverted; absent when the simulation already refused it (nothing sent). */
    readonly txHash?: `0x${string}`,
  ) {
    super(`${what} reverted with ${errorName}(${args.map(String).join(', ')})${txHash ? ` in tx ${txHash}` : ' (simulation; nothing sent)'}`);
  }
}

/** A settlement (or its simulation) reverted with a named DrexSettlement error. */
export class SettlementRevertedError extends ContractRevertedError {
  override name = 'SettlementRevertedError';
  override readonly code = 'SETTLEMENT_REVERTED';
}

/** A batch given to the client is malformed (shapes, sizes, values); nothing was sent. */
export class SettlementInputError extends DrexError {
  override name = 'SettlementInputError';
  readonly code = 'SETTLEMENT_INPUT_INVALID';
}

/** A sent transaction was neither mined nor superseded in time. */
export class TransactionNotConfirmedError extends DrexError {
  override name = 'TransactionNotConfirmedError';
  readonly code = 'TX_NOT_CONFIRMED';
  override readonly retryable = true;
  constructor(
    message: string,
    readonly txHash: `0x${string}`,
  ) {
    super(message);
  }
}

/** A deployment transaction failed or produced no contract. */
export class DeploymentError extends DrexError {
  override name = 'DeploymentError';
  readonly code = 'DEPLOY_FAILED';
}
