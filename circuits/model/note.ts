import { randomBytes } from 'node:crypto';
import { FIELD_ORDER, type Crypto } from './crypto.ts';

/** A private note: `amount` of `asset` owned by `owner`, hidden by `salt`. */
export interface Note {
  owner: bigint;
  amount: bigint;
  asset: bigint;
  salt: bigint;
}

/** A note that sits in the tree at leaf `index`. */
export interface PlacedNote extends Note {
  index: number;
  commitment: bigint;
}

/** Poseidon(owner, amount, asset, salt). */
export function noteCommitment(crypto: Crypto, n: Note): bigint {
  return crypto.hash([n.owner, n.amount, n.asset, n.salt]);
}

/** Poseidon(commitment, leafIndex, nk): unique per note, unlinkable to it without nk. */
export function noteNullifier(crypto: Crypto, commitment: bigint, index: number, nk: bigint): bigint {
  return crypto.hash([commitment, BigInt(index), nk]);
}

/** A uniformly random field element (for salts). */
export function randomField(): bigint {
  return BigInt(`0x${randomBytes(32).toString('hex')}`) % FIELD_ORDER;
}
