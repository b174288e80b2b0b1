import type { Crypto } from './crypto.ts';
import { noteOfRecord, noteRecord, type PlacedNote } from './note.ts';
import { NoteTree } from './note-tree.ts';
import { NullifierSet } from './nullifier-set.ts';

/** A JSON-safe snapshot of a ledger (bigints as decimal strings). */
export interface LedgerSnapshot {
  depth: number;
  nullDepth: number;
  leaves: string[];
  /** Nullifier-set keys in insertion order. */
  keys: string[];
  notes: ReturnType<typeof noteRecord>[];
}

/** Where a ledger stands: what a proof's public inputs start from or end at. */
export interface LedgerPoint {
  noteRoot: bigint;
  /** The next free leaf of the note tree. */
  noteIndex: number;
  setRoot: bigint;
  setSize: number;
  /** Poseidon(setRoot, setSize): the public nullifier-set state. */
  nullRoot: bigint;
}

/**
 * The planner's view of the shielded ledger: the note tree, the nullifier set (spent notes'
 * and used intents' nullifier keys) and the unspent notes it knows of.
 */
export class Ledger {
  private readonly unspent = new Map<bigint, PlacedNote>();

  constructor(
    private readonly crypto: Crypto,
    readonly tree: NoteTree,
    public nullifiers: NullifierSet,
  ) {}

  static empty(crypto: Crypto, depth: number, nullDepth: number): Ledger {
    return new Ledger(crypto, new NoteTree(crypto, depth), NullifierSet.empty(crypto, nullDepth));
  }

  get point(): LedgerPoint {
    return { noteRoot: this.tree.root, noteIndex: this.tree.size, setRoot: this.nullifiers.root, setSize: this.nullifiers.size, nullRoot: this.nullifiers.state };
  }

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

  balanceOf(owner: bigint, asset: bigint): bigint {
    return this.notesOf(owner, asset).reduce((s, n) => s + n.amount, 0n);
  }

  /** Commitments of every unspent note it knows of. */
  unspentCommitments(): IterableIterator<bigint> {
    return this.unspent.keys();
  }

  /** Unspent notes at leaf `index` or later: the ones created after the tree had `index` leaves. */
  notesFrom(index: number): PlacedNote[] {
    return [...this.unspent.values()].filter((n) => n.index >= index);
  }

  /** A point to roll back to with `restore`. */
  checkpoint(): { size: number; keys: bigint[]; unspent: PlacedNote[] } {
    return { size: this.tree.size, keys: this.nullifiers.keys(), unspent: [...this.unspent.values()] };
  }

  restore(cp: ReturnType<Ledger['checkpoint']>): void {
    this.tree.truncate(cp.size);
    if (this.nullifiers.size !== cp.keys.length + 1) this.nullifiers = NullifierSet.fromKeys(this.crypto, this.nullifiers.depth, cp.keys);
    this.unspent.clear();
    for (const n of cp.unspent) this.unspent.set(n.commitment, n);
  }

  toSnapshot(): LedgerSnapshot {
    return {
      depth: this.tree.depth,
      nullDepth: this.nullifiers.depth,
      leaves: this.tree.leaves().map(String),
      keys: this.nullifiers.keys().map(String),
      notes: [...this.unspent.values()].map(noteRecord),
    };
  }

  static fromSnapshot(crypto: Crypto, s: LedgerSnapshot): Ledger {
    const ledger = new Ledger(
      crypto,
      NoteTree.fromLeaves(crypto, s.depth, s.leaves.map(BigInt)),
      NullifierSet.fromKeys(crypto, s.nullDepth, s.keys.map(BigInt)),
    );
    for (const n of s.notes) ledger.addNote(noteOfRecord(n));
    return ledger;
  }
}
