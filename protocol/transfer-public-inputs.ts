/**
 * Where each value sits among the transfer circuit's 11 public inputs (circuit order), as the
 * settlement package reads them. Mirrors `publicSignalsOf` of the circuit model (a test keeps them equal).
 */
export const TRANSFER_PUBLIC_INPUTS = {
  count: 11,
  rootBefore: 0,
  rootAfter: 1,
  nullifiers: [2, 3],
  commitments: [4, 5],
  valueIn: 6,
  valueOut: 7,
  limit: 8,
  minter: 9,
  intentNullifier: 10,
} as const;
