import type { LedgerSnapshot } from '../../circuits/model/ledger-state.ts';
import { DrexError } from '../../protocol/errors.ts';

type SnapshotNote = LedgerSnapshot['notes'][number];

/**
 * What planning one batch did to the planner's ledger state, compactly: the leaves it appended, the
 * spendable notes it created and spent, the nullifiers and intent nullifiers it used. Stored per open
 * batch instead of a full ledger copy; the state after a batch is the final snapshot with the deltas of
 * the open batches up to it applied in planning order.
 */
export interface LedgerDelta {
  depth: number;
  /** Leaves of the tree before the batch, and its root before and after (checked on replay). */
  sizeBefore: number;
  rootBefore: string;
  rootAfter: string;
  /** Appended leaves, in order. */
  leaves: string[];
  /** Spendable notes created (and not spent within the batch). */
  added: SnapshotNote[];
  /** Commitments of notes spent that existed before the batch. */
  removed: string[];
  spentNullifiers: string[];
  usedIntents: string[];
}

/** A delta does not start where the state it is applied to ends (a stale or misordered delta). */
export class LedgerDeltaMismatchError extends DrexError {
  override name = 'LedgerDeltaMismatchError';
  readonly code = 'LEDGER_DELTA_MISMATCH';
}

/** The snapshot of an empty ledger of a tree `depth`. */
export function emptySnapshot(depth: number): LedgerSnapshot {
  return { depth, leaves: [], notes: [], spentNullifiers: [], usedIntents: [] };
}

/** Applies `d` to `s` in place (and returns it); refuses a delta planned on another tree size. */
export function applyDelta(s: LedgerSnapshot, d: LedgerDelta, batchId = '?'): LedgerSnapshot {
  if (s.depth !== d.depth || s.leaves.length !== d.sizeBefore) {
    throw new LedgerDeltaMismatchError(
      `the ledger delta of batch ${batchId} starts at ${d.sizeBefore} leaves (depth ${d.depth}), the state it is applied to has ${s.leaves.length} (depth ${s.depth})`,
    );
  }
  const removed = new Set(d.removed);
  s.leaves.push(...d.leaves);
  s.notes = s.notes.filter((n) => !removed.has(n.commitment)).concat(d.added);
  s.spentNullifiers.push(...d.spentNullifiers);
  s.usedIntents.push(...d.usedIntents);
  return s;
}
