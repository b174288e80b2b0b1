import { loadCrypto, type Crypto } from './crypto.ts';
import { devAccount, type Account } from './keys.ts';
import { signIntent, type SignedIntent } from './intent.ts';
import { LedgerState } from './ledger-state.ts';
import { planTransfers } from './plan-transfers.ts';
import type { TransferPolicy } from './transfer-witness.ts';

export const ASSET = 986n;

/** A funded ledger for tests: alice holds 1000 and 300, bob 500; the minter is the dev minter. */
export interface Funded {
  crypto: Crypto;
  minter: Account;
  alice: Account;
  bob: Account;
  carol: Account;
  policy: TransferPolicy;
  state: LedgerState;
  nonce: () => bigint;
  intent: (from: Account, to: bigint, amount: bigint, nonce?: bigint) => SignedIntent;
}

export async function funded(depth = 20): Promise<Funded> {
  const crypto = await loadCrypto();
  const minter = devAccount(crypto, 'test/minter');
  const alice = devAccount(crypto, 'test/alice');
  const bob = devAccount(crypto, 'test/bob');
  const carol = devAccount(crypto, 'test/carol');
  const policy = { complianceLimit: 1_000_000n, minter: minter.owner };
  const state = LedgerState.empty(crypto, depth);
  let n = 0n;
  const nonce = () => ++n;
  const intent = (from: Account, to: bigint, amount: bigint, nn?: bigint) =>
    signIntent(crypto, from, { sender: from.owner, recipient: to, amount, asset: ASSET, nonce: nn ?? nonce() });
  planTransfers(crypto, state, policy, [
    { signed: intent(minter, alice.owner, 1000n) },
    { signed: intent(minter, alice.owner, 300n) },
    { signed: intent(minter, bob.owner, 500n) },
  ]);
  return { crypto, minter, alice, bob, carol, policy, state, nonce, intent };
}
