import { loadCrypto, type Crypto } from './crypto.ts';
import { devAccount, type Account } from './keys.ts';
import { randomField } from './note.ts';
import type { TransferPolicy } from './policy.ts';
import { signIntent, type IntentKind, type SignedIntent } from './intent.ts';
import { Ledger } from './ledger.ts';
import { planBatches, type BatchParams, type BatchPlan } from './plan-batches.ts';

export const ASSET = 986n;
/** The test deployment's domain. */
export const TEST_DOMAIN = 4242n;

/** A funded ledger for tests: alice holds 1000 and 300, bob 500; the minter is the test minter. */
export interface FundedLedger {
  crypto: Crypto;
  minter: Account;
  alice: Account;
  bob: Account;
  carol: Account;
  policy: TransferPolicy;
  params: BatchParams;
  ledger: Ledger;
  /** The plan of the three funding deposits (from the empty ledger; points[0] is the empty ledger's point). */
  funding: BatchPlan;
  /** A signed intent: a deposit when `from` is the minter and the recipient is not 0, a withdrawal to 0. */
  intent: (from: Account, to: bigint, amount: bigint, opts?: { kind?: IntentKind; nonce?: bigint; domain?: bigint }) => SignedIntent;
}

/**
 * `opts.domain` (default TEST_DOMAIN): the ledger's domain, signed in every intent (e.g. a deployed
 * settlement contract's `domain()`).
 */
export async function fundedLedger(shape: { k: number; depth: number; nullDepth: number }, opts: { domain?: bigint } = {}): Promise<FundedLedger> {
  const domain = opts.domain ?? TEST_DOMAIN;
  const crypto = await loadCrypto();
  const minter = devAccount(crypto, 'test/minter');
  const alice = devAccount(crypto, 'test/alice');
  const bob = devAccount(crypto, 'test/bob');
  const carol = devAccount(crypto, 'test/carol');
  const policy = { complianceLimit: 1_000_000n, minter: minter.owner };
  const params: BatchParams = { ...shape, policy, domain };
  const ledger = Ledger.empty(crypto, shape.depth, shape.nullDepth);
  let n = 0n;
  const intent: FundedLedger['intent'] = (from, to, amount, opts = {}) => {
    const kind = opts.kind ?? (from.owner === minter.owner ? (to === 0n ? 'withdraw' : 'deposit') : 'transfer');
    const i = { kind, sender: from.owner, recipient: to, amount, asset: ASSET, nonce: opts.nonce ?? ++n, seed: randomField() };
    return signIntent(crypto, from, opts.domain ?? domain, i);
  };
  const funding = planBatches(crypto, ledger, params, [
    { signed: intent(minter, alice.owner, 1000n) },
    { signed: intent(minter, alice.owner, 300n) },
    { signed: intent(minter, bob.owner, 500n) },
  ]);
  return { crypto, minter, alice, bob, carol, policy, params, ledger, funding, intent };
}
