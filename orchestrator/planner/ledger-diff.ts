import { noteRecord, type LedgerState } from '../../circuits/model/ledger-state.ts';
import type { LedgerDelta } from '../store/ledger-delta.ts';

/** A point of a ledger state to diff against (`LedgerState.checkpoint`). */
export type LedgerCheckpoint = ReturnType<LedgerState['checkpoint']>;


/** What changed from `before` (with its root) to `state`: the compact record of one planned batch. */
export function ledgerDelta(before: LedgerCheckpoint, rootBefore: bigint, state: LedgerState): LedgerDelta {
  const now = state.checkpoint();
  const hadNote = new Set(before.unspent.map((n) => n.commitment));
  const hasNote = new Set(now.unspent.map((n) => n.commitment));
  const hadSpent = new Set(before.spent);
  const hadIntent = new Set(before.intents);
  const leaves: string[] = [];
  for (let i = before.size; i < state.tree.size; i++) leaves.push(String(state.tree.leaf(i)));
  return {
    depth: state.tree.depth,
    sizeBefore: before.size,
    rootBefore: String(rootBefore),
    rootAfter: String(state.root),
    leaves,
    added: now.unspent.filter((n) => !hadNote.has(n.commitment)).map(noteRecord),
    removed: before.unspent.filter((n) => !hasNote.has(n.commitment)).map((n) => String(n.commitment)),
    spentNullifiers: now.spent.filter((x) => !hadSpent.has(x)).map(String),
    usedIntents: now.intents.filter((x) => !hadIntent.has(x)).map(String),
  };
}
