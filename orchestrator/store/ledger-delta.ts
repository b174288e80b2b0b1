import type { LedgerSnapshot } from '../../circuits/model/ledger.ts';
import { DrexError } from '../../protocol/errors.ts';

type SnapshotNote = LedgerSnapshot['notes'][number];

/**
 * What planning one batch did to the planner's ledger, compactly: the note leaves it appended, the
 * nullifier-set keys it inserted (spent notes' and used intents'), the spendable notes it created and
 * spent. Stored per open batch instead of a full ledger copy; the ledger after a batch is the final
 * snapshot with the deltas of the open batches up to it applied in planning order.
 */
export interface LedgerDelta {
  depth: number;
  nullDepth: number;
  /** Leaves of the note tree and keys of the nullifier set before the batch (checked on replay). */
  sizeBefore: number;
  keysBefore: number;
  /** The public state before and after (checked on replay): note-tree roots, the nullifier set's state. */
  noteRootBefore: string;
  noteRootAfter: string;
  nullRootAfter: string;
  /** Appended leaves, in order. */
  leaves: string[];
  /** Inserted nullifier-set keys, in order. */
  keys: string[];
  /** Spendable notes created (and not spent within the batch). */
  added: SnapshotNote[];
  /** Commitments of notes spent that existed before the batch. */
  removed: string[];
}

/** A delta does not start where the ledger it is applied to ends (a stale or misordered delta). */
export class LedgerDeltaMismatchError extends DrexError {
  override name = 'LedgerDeltaMismatchError';
  readonly code = 'LEDGER_DELTA_MISMATCH';
}

/** The snapshot of an empty ledger of these depths. */
export function emptySnapshot(depth: number, nullDepth: number): LedgerSnapshot {
  return { depth, nullDepth, leaves: [], keys: [], notes: [] };
}

/** Applies `d` to `s` in place (and returns it); refuses a delta planned on another ledger. */
export function applyDelta(s: LedgerSnapshot, d: LedgerDelta, batchId = '?'): LedgerSnapshot {
  if (s.depth !== d.depth || s.nullDepth !== d.nullDepth || s.leaves.length !== d.sizeBefore || s.keys.length !== d.keysBefore) {
    throw new LedgerDeltaMismatchError(
      `the ledger delta of batch ${batchId} starts at ${d.sizeBefore} leaves and ${d.keysBefore} nullifiers (depths ${d.depth}/${d.nullDepth}), ` +
        `the ledger it is applied to has ${s.leaves.length} and ${s.keys.length} (depths ${s.depth}/${s.nullDepth})`,
    );
  }
  const removed = new Set(d.removed);
  s.leaves.push(...d.leaves);
  s.keys.push(...d.keys);
  s.notes = s.notes.filter((n) => !removed.has(n.commitment)).concat(d.added);
  return s;
}
