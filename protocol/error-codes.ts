/** Error codes carried in gRPC status details and in FAILED batch events. */
export const ErrorCode = {
  UNKNOWN_BANK: 'UNKNOWN_BANK',
  BAD_BANK_SIGNATURE: 'BAD_BANK_SIGNATURE',
  /** A signed request's timestamp is outside the server's clock-skew window. */
  REQUEST_EXPIRED: 'REQUEST_EXPIRED',
  /** A signed request's nonce was already used by this bank within the window. */
  REQUEST_REPLAYED: 'REQUEST_REPLAYED',
  /** The bank has as many status watches open as it may. */
  TOO_MANY_WATCHERS: 'TOO_MANY_WATCHERS',
  /** The bank has as many batches that are not final yet as it may. */
  TOO_MANY_OPEN_BATCHES: 'TOO_MANY_OPEN_BATCHES',
  INVALID_FIELD: 'INVALID_FIELD',
  EMPTY_BATCH: 'EMPTY_BATCH',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  DUPLICATE_NONCE: 'DUPLICATE_NONCE',
  NONCE_ALREADY_USED: 'NONCE_ALREADY_USED',
  BAD_INTENT_SIGNATURE: 'BAD_INTENT_SIGNATURE',
  /** A deposit or withdrawal whose sender is not the deployment's minter. */
  NOT_MINTER: 'NOT_MINTER',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  BATCH_NOT_FOUND: 'BATCH_NOT_FOUND',
  PLANNING_FAILED: 'PLANNING_FAILED',
  PROVING_FAILED: 'PROVING_FAILED',
  SETTLEMENT_FAILED: 'SETTLEMENT_FAILED',
  /** The chain holds a settlement under the batch id that is not this plan's. */
  SETTLEMENT_DIVERGED: 'SETTLEMENT_DIVERGED',
  /** The chain's note-tree root is not the root the batch was planned on, and nothing planned can move it there. */
  CHAIN_DIVERGED: 'CHAIN_DIVERGED',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
