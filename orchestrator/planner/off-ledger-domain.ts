import { createHash } from 'node:crypto';
import { FIELD_ORDER } from '../../protocol/messages/fields.ts';

/**
 * The domain of a deployment that settles on no ledger (proving only): sha256 of
 * "drex-swarm/transfer-batch/v2/off-ledger/<deployment>" mod the BN254 scalar order. With a ledger, the
 * domain is the settlement contract's `domain()` (it binds the chain id and the contract address).
 */
export function offLedgerDomain(deployment: string): bigint {
  return BigInt(`0x${createHash('sha256').update(`drex-swarm/transfer-batch/v2/off-ledger/${deployment}`).digest('hex')}`) % FIELD_ORDER;
}
