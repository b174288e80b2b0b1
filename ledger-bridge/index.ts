/** The ledger bridge's public API: the runtime client (client.ts), the contracts build, the embedded chain and the deploy. */
export * from './client.ts';
export { compileContracts, ContractCompileError, DEFAULT_EVM_VERSION, type CompiledContracts, type EvmVersion } from './build/compile-contracts.ts';
export { startEmbeddedChain, type EmbeddedChain, type EmbeddedChainOptions } from './chain/embedded-chain.ts';
export { deploySettlement, deployContract, DEFAULT_POLICY_DELAY_SECONDS, type SettlementAddresses, type DeploySettlementParams } from './chain/deploy-settlement.ts';
