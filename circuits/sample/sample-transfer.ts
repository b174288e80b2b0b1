import { loadCrypto, type Crypto } from '../model/crypto.ts';
import { devAccount, type Account } from '../model/keys.ts';
import { devMinter } from './dev-accounts.ts';
import { signIntent } from '../model/intent.ts';
import { LedgerState } from '../model/ledger-state.ts';
import { planTransfers, type PlannedTransfer, type TransferPlan } from '../model/plan-transfers.ts';
import type { TransferPolicy } from '../model/transfer-witness.ts';
import { DEFAULT_DEPTH } from '../build/compile.ts';

/** The asset id of the demo digital real. */
export const DREX_BRL = 986n;
/** Default per-transfer compliance limit of the dev policy (in centavos). */
export const DEV_COMPLIANCE_LIMIT = 100_000_000_000n;

/** The dev actors: the minter (central bank) and one customer account at each of two demo banks. */
export interface DevActors {
  minter: Account;
  alice: Account;
  bob: Account;
}

export function devActors(crypto: Crypto): DevActors {
  return {
    minter: devMinter(crypto),
    alice: devAccount(crypto, 'bank-a/alice'),
    bob: devAccount(crypto, 'bank-b/bob'),
  };
}

export function devPolicy(actors: DevActors): TransferPolicy {
  return { complianceLimit: DEV_COMPLIANCE_LIMIT, minter: actors.minter.owner };
}

/** A sample ledger: the minter deposits 1000.00 to alice, then alice pays bob 250.00. */
export interface Sample {
  crypto: Crypto;
  actors: DevActors;
  policy: TransferPolicy;
  state: LedgerState;
  plan: TransferPlan;
  /** alice -> bob, spending the deposited note: the transfer `prove --sample` proves. */
  transfer: PlannedTransfer;
}

export async function buildSample(depth = DEFAULT_DEPTH): Promise<Sample> {
  const crypto = await loadCrypto();
  const actors = devActors(crypto);
  const policy = devPolicy(actors);
  const state = LedgerState.empty(crypto, depth);
  const deposit = signIntent(crypto, actors.minter, {
    sender: actors.minter.owner,
    recipient: actors.alice.owner,
    amount: 100_000n,
    asset: DREX_BRL,
    nonce: 1n,
  });
  const pay = signIntent(crypto, actors.alice, {
    sender: actors.alice.owner,
    recipient: actors.bob.owner,
    amount: 25_000n,
    asset: DREX_BRL,
    nonce: 1n,
  });
  const plan = planTransfers(crypto, state, policy, [{ signed: deposit }, { signed: pay }]);
  return { crypto, actors, policy, state, plan, transfer: plan.transfers[1]! };
}
