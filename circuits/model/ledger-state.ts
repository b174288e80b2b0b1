import type { Crypto } from './crypto.ts';
import type { PlacedNote } from './note.ts';
import { NoteTree } from './note-tree.ts';

/** A JSON-safe snapshot of a ledger state (bigints as decimal strings). */
export interface LedgerSnapshot {
  depth: number;
  leaves: string[];
  notes: { owner: string; amount: string; asset: string; salt: string; index: number; commitment: string }[];
  spentNullifiers: string[];
  usedIntents: string[];
}

/**
 * The planner's view of the shielded ledger: the note tree, the notes it knows how to spend
 * (unspent, by owner), the spent nullifiers and the used intent nullifiers.
 */
/** A placed note as stored (decimal strings): in snapshots and ledger deltas. */
export function noteRecord(n: PlacedNote) {
  return { owner: String(n.owner), amount: String(n.amount), asset: String(n.asset), salt: String(n.salt), index: n.index, commitment: String(n.commitment) };
}

export class LedgerState {
  private readonly unspent = new Map<bigint, PlacedNote>();

  constructor(
    readonly tree: NoteTree,
    readonly spentNullifiers = new Set<bigint>(),
    readonly usedIntents = new Set<bigint>(),
  ) {}

  static empty(crypto: Crypto, depth: number): LedgerState {
    return new LedgerState(new NoteTree(crypto, depth));
  }

  get root(): bigint {
    return this.tree.root;
  }

  /** Records a note this ledger can later spend. */
  addNote(note: PlacedNote): void {
    this.unspent.set(note.commitment, note);
  }

  removeNote(commitment: bigint): void {
    this.unspent.delete(commitment);
  }

  note(commitment: bigint): PlacedNote | undefined {
    return this.unspent.get(commitment);
  }

  /** Unspent notes of `owner` in `asset` with a nonzero amount, largest first. */
  notesOf(owner: bigint, asset: bigint): PlacedNote[] {
    return [...this.unspent.values()]
      .filter((n) => n.owner === owner && n.asset === asset && n.amount > 0n)
      .sort((a, b) => (a.amount === b.amount ? a.index - b.index : a.amount > b.amount ? -1 : 1));
  }

  /** Sum of `owner`'s unspent notes in `asset`. */
  balanceOf(owner: bigint, asset: bigint): bigint {
    return this.notesOf(owner, asset).reduce((s, n) => s + n.amount, 0n);
  }

  /** A point to roll back to with `restore`. */
  checkpoint(): { size: number; unspent: PlacedNote[]; spent: bigint[]; intents: bigint[] } {
    return {
      size: this.tree.size,
      unspent: [...this.unspent.values()],
      spent: [...this.spentNullifiers],
      intents: [...this.usedIntents],
    };
  }

  restore(cp: ReturnType<LedgerState['checkpoint']>): void {
    this.tree.truncate(cp.size);
    this.unspent.clear();
    for (const n of cp.unspent) this.unspent.set(n.commitment, n);
    this.spentNullifiers.clear();
    for (const x of cp.spent) this.spentNullifiers.add(x);
    this.usedIntents.clear();
    for (const x of cp.intents) this.usedIntents.add(x);
  }

  toSnapshot(): LedgerSnapshot {
    return {
      depth: this.tree.depth,
      leaves: this.tree.leaves().map(String),
      notes: [...this.unspent.values()].map(noteRecord),
      spentNullifiers: [...this.spentNullifiers].map(String),
      usedIntents: [...this.usedIntents].map(String),
    };
  }

  static fromSnapshot(crypto: Crypto, s: LedgerSnapshot): LedgerState {
    const state = new LedgerState(
      NoteTree.fromLeaves(crypto, s.depth, s.leaves.map(BigInt)),
      new Set(s.spentNullifiers.map(BigInt)),
      new Set(s.usedIntents.map(BigInt)),
    );
    for (const n of s.notes) {
      state.addNote({
        owner: BigInt(n.owner),
        amount: BigInt(n.amount),
        asset: BigInt(n.asset),
        salt: BigInt(n.salt),
        index: n.index,
        commitment: BigInt(n.commitment),
      });
    }
    return state;
  }
}
