/**
 * Where each value sits among the k-transfer circuit's 11 public inputs (circuit order, whatever k), as
 * the settlement package and the ledger bridge read them. Mirrors `batchPublicSignals` of the circuit
 * model (a test keeps them equal).
 */
export const TRANSFER_PUBLIC_INPUTS = {
  count: 11,
  noteRootBefore: 0,
  noteRootAfter: 1,
  noteIndex: 2,
  nullRootBefore: 3,
  nullRootAfter: 4,
  transfers: 5,
  valueIn: 6,
  valueOut: 7,
  limit: 8,
  minter: 9,
  domain: 10,
} as const;

/** The largest k (transfers per proof) the k-transfer circuit is built for. */
export const MAX_TRANSFERS_PER_PROOF = 64;
