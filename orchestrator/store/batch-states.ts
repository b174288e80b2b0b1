/** The batch state machine's states (the gRPC BatchState names without prefix). */
export const BATCH_STATES = ['ACCEPTED', 'PLANNED', 'PROVING', 'VERIFIED', 'SETTLED', 'FAILED'] as const;
export type BatchStateName = (typeof BATCH_STATES)[number];

/** States after which nothing changes. VERIFIED is final only when no ledger settles batches. */
export function isFinal(state: BatchStateName, settles: boolean): boolean {
  return state === 'FAILED' || state === 'SETTLED' || (!settles && state === 'VERIFIED');
}
