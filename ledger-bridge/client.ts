/**
 * The ledger bridge's runtime API: the chain client and its actions (settle, reads, the start check),
 * errors, ABIs and dev keys. It loads neither the Solidity compiler nor the embedded EVM, so the
 * processes that talk to a chain start without them.
 */
export { createChainClient, createChainReader, type ChainClient, type ChainClientOptions, type ChainReader } from './chain/chain-client.ts';
export { settleBatch, encodeSettleBatch, type SettleBatchParams, type SettlementResult, type VerificationMode, type TransferPublicInputs } from './chain/settle-batch.ts';
export {
  findSettlement,
  getDomain,
  getLedgerPoint,
  getPolicies,
  getSettledBatch,
  getTotalSupply,
  settlementDifferences,
  type ExpectedSettlement,
  type SettlementPolicies,
  type SettlementPolicy,
  type SettlementRecord,
} from './chain/read-settlement.ts';
export { checkLedger, type LedgerExpectation, type LedgerFacts } from './chain/check-ledger.ts';
export { verificationKeyHash, type Groth16VerificationKey } from './build/batch-verifier-source.ts';
export { sendTransaction, type MinedTransaction } from './chain/send-transaction.ts';
export { DEFAULT_RETRY, isNetworkError, type RetryPolicy } from './chain/retry.ts';
export { drexSettlementAbi, batchVerifierAbi, groth16VerifierAbi, type SettlementErrorName } from './chain/settlement-abi.ts';
export {
  ChainUnavailableError,
  ContractRevertedError,
  DeploymentError,
  LedgerMismatchError,
  NonceConflictError,
  SettlementInputError,
  SettlementRevertedError,
  TransactionNotConfirmedError,
} from './chain/errors.ts';
export { devAdminKey, devPrivateKey } from './chain/dev-keys.ts';
