import type { Crypto } from './crypto.ts';
import { ownerOf, type Account, type ProofAuthorization } from './keys.ts';
import { reject } from './errors.ts';

/** Recipient value that marks a withdrawal (the amount leaves the shielded pool). */
export const WITHDRAW_RECIPIENT = 0n;

/** What an owner signs: move `amount` of `asset` from `sender` to `recipient`, once (per `nonce`). */
export interface Intent {
  sender: bigint;
  recipient: bigint;
  amount: bigint;
  asset: bigint;
  nonce: bigint;
}

/** EdDSA-Poseidon signature over `intentHash(intent)`. */
export interface IntentSignature {
  R8x: bigint;
  R8y: bigint;
  S: bigint;
}

/** A signed intent with the sender's proof authorization, as the planner receives it. */
export interface SignedIntent {
  intent: Intent;
  signature: IntentSignature;
  auth: ProofAuthorization;
}

/** Poseidon(sender, recipient, amount, asset, nonce): the message the owner signs. */
export function intentHash(crypto: Crypto, i: Intent): bigint {
  return crypto.hash([i.sender, i.recipient, i.amount, i.asset, i.nonce]);
}

/** Poseidon(nk, nonce): public, so the ledger can refuse a second use of the same intent. */
export function intentNullifier(crypto: Crypto, nk: bigint, nonce: bigint): bigint {
  return crypto.hash([nk, nonce]);
}

/** Signs `intent` with `account`'s key; the intent's sender must be that account. */
export function signIntent(crypto: Crypto, account: Account, intent: Intent): SignedIntent {
  if (intent.sender !== account.owner) throw new RangeError('intent sender is not the signing account');
  const F = crypto.eddsa.F;
  const sig = crypto.eddsa.signPoseidon(account.sk, F.e(intentHash(crypto, intent)));
  return {
    intent: { ...intent },
    signature: { R8x: F.toObject(sig.R8[0]), R8y: F.toObject(sig.R8[1]), S: sig.S },
    auth: { Ax: account.Ax, Ay: account.Ay, nk: account.nk },
  };
}

/**
 * Checks that the proof authorization belongs to the intent's sender and that the signature is the
 * sender's over exactly this intent. Throws `TransferRejectedError` (BAD_SIGNATURE) otherwise.
 */
export function verifyIntentSignature(crypto: Crypto, signed: SignedIntent): void {
  const { intent, signature, auth } = signed;
  if (ownerOf(crypto, auth) !== intent.sender) {
    reject('BAD_SIGNATURE', 'the proof authorization (Ax, Ay, nk) does not belong to the intent sender');
  }
  const F = crypto.eddsa.F;
  const A: [Uint8Array, Uint8Array] = [F.e(auth.Ax), F.e(auth.Ay)];
  let ok = false;
  try {
    ok = crypto.eddsa.verifyPoseidon(
      F.e(intentHash(crypto, intent)),
      { R8: [F.e(signature.R8x), F.e(signature.R8y)], S: signature.S },
      A,
    );
  } catch {
    ok = false;
  }
  if (!ok) reject('BAD_SIGNATURE', 'the signature is not the sender\'s signature over this intent');
}
