/** The ledger bridge's public API: the runtime client (client.ts), the contracts build, the embedded chain and the deploy. */
export * from './client.ts';
export { compileContracts, ContractCompileError, DEFAULT_EVM_VERSION, type CompiledContracts, type EvmVersion } from './build/compile-contracts.ts';
export { startEmbeddedChain, type EmbeddedChain, type EmbeddedChainOptions } from './chain/embedded-chain.ts';
export {
  DEFAULT_POLICY_DELAY_SECONDS,
  deployContract,
  deploySettlement,
  emptyLedgerState,
  ledgerStateAt,
  SETTLEMENT_DOMAIN_TAG,
  settlementDomain,
  type DeploySettlementParams,
  type InitialLedgerState,
  type SettlementAddresses,
} from './chain/deploy-settlement.ts';
