import { noteRecord } from '../../circuits/model/note.ts';
import type { Ledger } from '../../circuits/model/ledger.ts';
import type { LedgerDelta } from '../store/ledger-delta.ts';

/** A point of a ledger to diff against: its sizes, note root and unspent notes then. */
export interface LedgerCheckpoint {
  size: number;
  /** Nullifier-set keys inserted (the sentinel left out). */
  keys: number;
  noteRoot: bigint;
  unspent: ReadonlySet<bigint>;
}

/** Takes a checkpoint of `ledger` to diff against later. */
export function checkpointOf(ledger: Ledger): LedgerCheckpoint {
  return { size: ledger.tree.size, keys: ledger.nullifiers.size - 1, noteRoot: ledger.tree.root, unspent: new Set(ledger.unspentCommitments()) };
}

/**
 * What changed from `before` to `ledger`: the compact record of one planned batch. The ledger only
 * grows (leaves and keys are appended), and a note made by the batch sits at a leaf it appended, so
 * only the notes spent need the checkpoint's set.
 */
export function ledgerDelta(before: LedgerCheckpoint, ledger: Ledger): LedgerDelta {
  const leaves: string[] = [];
  for (let i = before.size; i < ledger.tree.size; i++) leaves.push(String(ledger.tree.leaf(i)));
  const point = ledger.point;
  return {
    depth: ledger.tree.depth,
    nullDepth: ledger.nullifiers.depth,
    sizeBefore: before.size,
    keysBefore: before.keys,
    noteRootBefore: String(before.noteRoot),
    noteRootAfter: String(point.noteRoot),
    nullRootAfter: String(point.nullRoot),
    leaves,
    keys: ledger.nullifiers.keysSince(before.keys).map(String),
    added: ledger.notesFrom(before.size).map(noteRecord),
    removed: [...before.unspent].filter((c) => ledger.note(c) === undefined).map(String),
  };
}
