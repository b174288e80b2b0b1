import { getContractAddress, type Address } from 'viem';
import type { ChainClient } from '../chain/chain-client.ts';
import { settlementDomain } from '../chain/deploy-settlement.ts';

/**
 * The address and domain a DrexSettlement will get when it is the deployer's `ahead`-th next contract
 * creation (0: the next transaction), so that intents can be signed for it before it is deployed.
 */
export async function nextDeployment(client: ChainClient, ahead = 0): Promise<{ address: Address; domain: bigint }> {
  const nonce = await client.public.getTransactionCount({ address: client.account.address, blockTag: 'pending' });
  const address = getContractAddress({ from: client.account.address, nonce: BigInt(nonce + ahead) });
  return { address, domain: settlementDomain(await client.public.getChainId(), address) };
}
