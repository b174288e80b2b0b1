import { DrexError } from '../../protocol/errors.ts';
/** Errors of the ledger bridge's chain client; each carries a stable `code`. */

/** The chain could not be reached (or did not answer) within the retry policy. */
export class ChainUnavailableError extends DrexError {
  override name = 'ChainUnavailableError';
  readonly code = 'CHAIN_UNAVAILABLE';
  override readonly retryable = true;
}

/** Revert errors that blame the transaction's gas limit, not its content: sending again (re-estimated) can succeed. */
const GAS_LIMIT_ERRORS: ReadonlySet<string> = new Set(['InsufficientGas']);

/** A contract call or transaction reverted; the custom error is decoded by name. */
export class ContractRevertedError extends DrexError {
  override name = 'ContractRevertedError';
  readonly code: 'CONTRACT_REVERTED' | 'SETTLEMENT_REVERTED' = 'CONTRACT_REVERTED';
  /** True for `InsufficientGas` (the gas limit was too low for the verification); false for every other revert. */
  override readonly retryable: boolean;
  constructor(
    /** What was being done, e.g. `deploy DrexSettlement`. */
    readonly what: string,
    /** The Solidity custom error's name (e.g. `StaleNullifierRoot`), `Error` for a reason string, `Unknown` when it did not decode. */
    readonly errorName: string,
    readonly args: readonly unknown[],
    /** The mined transaction that reverted; absent when the simulation already refused it (nothing sent). */
    readonly txHash?: `0x${string}`,
  ) {
    super(`${what} reverted with ${errorName}(${args.map(String).join(', ')})${txHash ? ` in tx ${txHash}` : ' (simulation; nothing sent)'}`);
    this.retryable = GAS_LIMIT_ERRORS.has(errorName);
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

/**
 * The nonce kept being taken by other transactions of the same key (another sender, e.g. a settler in
 * another process) before ours was accepted; none of our signed versions reached the node.
 */
export class NonceConflictError extends DrexError {
  override name = 'NonceConflictError';
  readonly code = 'TX_NONCE_CONFLICT';
  override readonly retryable = true;
}

/**
 * The ledger the process was configured for is not the one it reached: another chain id, no settlement
 * contract at the address, a contract settling proofs of another k, or a batch verifier built from another
 * verification key. The process must not run against it; `differences` names each mismatch.
 */
export class LedgerMismatchError extends DrexError {
  override name = 'LedgerMismatchError';
  readonly code = 'LEDGER_MISMATCH';
  constructor(
    readonly differences: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`the ledger is not the one configured: ${differences.join('; ')}`, options);
  }
}
