import { noteRecord } from '../../circuits/model/note.ts';
import type { LedgerV2 } from '../../circuits/model/v2/ledger.ts';
import type { LedgerDelta } from '../store/ledger-delta.ts';

/** A point of a ledger to diff against (`LedgerV2.checkpoint`) with its public state then. */
export interface LedgerCheckpoint {
  at: ReturnType<LedgerV2['checkpoint']>;
  noteRoot: bigint;
}

/** Takes a checkpoint of `ledger` to diff against later. */
export function checkpointOf(ledger: LedgerV2): LedgerCheckpoint {
  return { at: ledger.checkpoint(), noteRoot: ledger.tree.root };
}

/** What changed from `before` to `ledger`: the compact record of one planned batch. */
export function ledgerDelta(before: LedgerCheckpoint, ledger: LedgerV2): LedgerDelta {
  const now = ledger.checkpoint();
  const hadNote = new Set(before.at.unspent.map((n) => n.commitment));
  const hasNote = new Set(now.unspent.map((n) => n.commitment));
  const leaves: string[] = [];
  for (let i = before.at.size; i < ledger.tree.size; i++) leaves.push(String(ledger.tree.leaf(i)));
  const point = ledger.point;
  return {
    depth: ledger.tree.depth,
    nullDepth: ledger.nullifiers.depth,
    sizeBefore: before.at.size,
    keysBefore: before.at.keys.length,
    noteRootBefore: String(before.noteRoot),
    noteRootAfter: String(point.noteRoot),
    nullRootAfter: String(point.nullRoot),
    leaves,
    keys: now.keys.slice(before.at.keys.length).map(String),
    added: now.unspent.filter((n) => !hadNote.has(n.commitment)).map(noteRecord),
    removed: before.at.unspent.filter((n) => !hasNote.has(n.commitment)).map((n) => String(n.commitment)),
  };
}
