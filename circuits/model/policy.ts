/** 2^64: every amount is strictly below it. */
export const AMOUNT_BOUND = 1n << 64n;

/** Rules that the ledger enforces and that every proof's public signals carry. */
export interface TransferPolicy {
  /** Largest amount one transfer may move (public input `limit`). */
  complianceLimit: bigint;
  /** Owner id of the minter role: the only sender allowed a nonzero value balance. */
  minter: bigint;
}
