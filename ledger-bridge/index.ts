/** The ledger bridge's public API: contracts build, embedded chain, chain client actions. */
export { compileContracts, ContractCompileError, DEFAULT_EVM_VERSION, type CompiledContracts, type EvmVersion } from './build/compile-contracts.ts';
export { startEmbeddedChain, devPrivateKey, type EmbeddedChain, type EmbeddedChainOptions } from './chain/embedded-chain.ts';
export { createChainClient, createChainReader, type ChainClient, type ChainClientOptions, type ChainReader } from './chain/chain-client.ts';
export { deploySettlement, deployContract, DEFAULT_POLICY_DELAY_SECONDS, type SettlementAddresses, type DeploySettlementParams } from './chain/deploy-settlement.ts';
export { settleBatch, encodeSettleBatch, type SettleBatchParams, type SettlementResult, type VerificationMode, type TransferPublicInputs } from './chain/settle-batch.ts';
export {
  findSettlement,
  getCurrentRoot,
  getPolicies,
  getSettledBatch,
  getTotalSupply,
  isIntentUsed,
  isNullifierSpent,
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
