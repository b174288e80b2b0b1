import { createHash, randomBytes } from 'node:crypto';
import { FIELD_ORDER, type Crypto } from './crypto.ts';

/**
 * What a delegated prover needs to spend an owner's notes: the EdDSA public key and the nullifier key.
 * It cannot authorize a transfer (that needs the signing key), but it can compute the owner's nullifiers.
 */
export interface ProofAuthorization {
  Ax: bigint;
  Ay: bigint;
  nk: bigint;
}

/** A note owner: a Baby Jubjub signing key, its nullifier key and the derived owner id. */
export interface Account extends ProofAuthorization {
  /** 32-byte EdDSA private key seed. Never leaves the owner. */
  sk: Uint8Array;
  /** owner = Poseidon(Ax, Ay, nk): the address that notes are committed to. */
  owner: bigint;
}

function nullifierKeyFrom(sk: Uint8Array): bigint {
  const digest = createHash('sha512').update('drex-swarm/nullifier-key').update(sk).digest('hex');
  return BigInt(`0x${digest}`) % FIELD_ORDER;
}

/** The owner id of a proof authorization: Poseidon(Ax, Ay, nk). */
export function ownerOf(crypto: Crypto, auth: ProofAuthorization): bigint {
  return crypto.hash([auth.Ax, auth.Ay, auth.nk]);
}

/** Derives an account from a 32-byte secret seed. */
export function accountFromSecret(crypto: Crypto, sk: Uint8Array): Account {
  if (sk.length !== 32) throw new RangeError(`account secret must be 32 bytes, got ${sk.length}`);
  const [ax, ay] = crypto.eddsa.prv2pub(sk);
  const F = crypto.eddsa.F;
  const auth = { Ax: F.toObject(ax), Ay: F.toObject(ay), nk: nullifierKeyFrom(sk) };
  return { ...auth, sk: Uint8Array.from(sk), owner: ownerOf(crypto, auth) };
}

/** A fresh random account. */
export function randomAccount(crypto: Crypto): Account {
  return accountFromSecret(crypto, randomBytes(32));
}

/**
 * A deterministic development account named `name`. Dev keys are public knowledge: use them only for
 * demos and tests.
 */
export function devAccount(crypto: Crypto, name: string): Account {
  return accountFromSecret(crypto, createHash('sha256').update(`drex-swarm dev account:${name}`).digest());
}

/** The proof authorization of an account (what a bank hands to the planner with a signed intent). */
export function proofAuthorization(account: ProofAuthorization): ProofAuthorization {
  return { Ax: account.Ax, Ay: account.Ay, nk: account.nk };
}
