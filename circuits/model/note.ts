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

/** A placed note as stored (decimal strings): in ledger snapshots and deltas. */
export function noteRecord(n: PlacedNote) {
  return { owner: String(n.owner), amount: String(n.amount), asset: String(n.asset), salt: String(n.salt), index: n.index, commitment: String(n.commitment) };
}

/** A placed note from its stored form. */
export function noteOfRecord(n: ReturnType<typeof noteRecord>): PlacedNote {
  return { owner: BigInt(n.owner), amount: BigInt(n.amount), asset: BigInt(n.asset), salt: BigInt(n.salt), index: n.index, commitment: BigInt(n.commitment) };
}

/** A uniformly random field element (for salts). */
export function randomField(): bigint {
  return BigInt(`0x${randomBytes(32).toString('hex')}`) % FIELD_ORDER;
}
