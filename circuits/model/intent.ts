import type { Crypto } from './crypto.ts';
import { ownerOf, type Account, type ProofAuthorization } from './keys.ts';
import { reject } from './errors.ts';

/** EdDSA-Poseidon signature over the intent's hash. */
export interface IntentSignature {
  R8x: bigint;
  R8y: bigint;
  S: bigint;
}

/** Recipient value of a withdrawal (the amount leaves the shielded pool). */
export const WITHDRAW_RECIPIENT = 0n;

/** What an intent does: spend notes to a recipient, mint (the minter, no notes spent), or burn. */
export type IntentKind = 'transfer' | 'deposit' | 'withdraw';

/** The kind as the circuit signs it. */
export const KIND_CODE: Record<IntentKind, bigint> = { transfer: 0n, deposit: 1n, withdraw: 2n };

/**
 * What an owner signs (transfer-batch.circom): in deployment `domain`, move `amount` of `asset` from
 * `sender` to `recipient` (0 for a withdrawal), once per `nonce`; `seed` fixes the created notes' salts.
 */
export interface Intent {
  kind: IntentKind;
  sender: bigint;
  recipient: bigint;
  amount: bigint;
  asset: bigint;
  nonce: bigint;
  /** A random field element of the signer's: the salts are Poseidon(seed, 0) and Poseidon(seed, 1). */
  seed: bigint;
}

/** A signed intent with its domain and the sender's proof authorization. */
export interface SignedIntent {
  domain: bigint;
  intent: Intent;
  signature: IntentSignature;
  auth: ProofAuthorization;
}

/** Poseidon(domain, kind, sender, recipient, amount, asset, nonce, seed): the message the owner signs. */
export function intentHash(crypto: Crypto, domain: bigint, i: Intent): bigint {
  return crypto.hash([domain, KIND_CODE[i.kind], i.sender, i.recipient, i.amount, i.asset, i.nonce, i.seed]);
}

/** The salts of the two created notes (to the recipient, change to the sender). */
export function outputSalts(crypto: Crypto, seed: bigint): [bigint, bigint] {
  return [crypto.hash([seed, 0n]), crypto.hash([seed, 1n])];
}

/** Poseidon(1, commitment, leafIndex, nk): the nullifier of a spent note. */
export function noteNullifier(crypto: Crypto, commitment: bigint, index: number, nk: bigint): bigint {
  return crypto.hash([1n, commitment, BigInt(index), nk]);
}

/** Poseidon(2, nk, nonce): the nullifier of a used intent (domain-separated from notes' by the tag). */
export function intentNullifier(crypto: Crypto, nk: bigint, nonce: bigint): bigint {
  return crypto.hash([2n, nk, nonce]);
}

/** Signs `intent` in `domain` with `account`'s key; the intent's sender must be that account. */
export function signIntent(crypto: Crypto, account: Account, domain: bigint, intent: Intent): SignedIntent {
  if (intent.sender !== account.owner) throw new RangeError('intent sender is not the signing account');
  const F = crypto.eddsa.F;
  const sig = crypto.eddsa.signPoseidon(account.sk, F.e(intentHash(crypto, domain, intent)));
  return {
    domain,
    intent: { ...intent },
    signature: { R8x: F.toObject(sig.R8[0]), R8y: F.toObject(sig.R8[1]), S: sig.S },
    auth: { Ax: account.Ax, Ay: account.Ay, nk: account.nk },
  };
}

/**
 * Checks that the authorization belongs to the sender and the signature is the sender's over exactly this
 * intent in this domain. Throws `TransferRejectedError` (BAD_SIGNATURE) otherwise.
 */
export function verifyIntentSignature(crypto: Crypto, signed: SignedIntent): void {
  const { intent, signature, auth } = signed;
  if (ownerOf(crypto, auth) !== intent.sender) {
    reject('BAD_SIGNATURE', 'the proof authorization (Ax, Ay, nk) does not belong to the intent sender');
  }
  const F = crypto.eddsa.F;
  let ok = false;
  try {
    ok = crypto.eddsa.verifyPoseidon(
      F.e(intentHash(crypto, signed.domain, intent)),
      { R8: [F.e(signature.R8x), F.e(signature.R8y)], S: signature.S },
      [F.e(auth.Ax), F.e(auth.Ay)],
    );
  } catch {
    ok = false;
  }
  if (!ok) reject('BAD_SIGNATURE', "the signature is not the sender's signature over this intent in this domain");
}
