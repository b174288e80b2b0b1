import type { Crypto } from './crypto.ts';
import { DrexError } from '../../protocol/errors.ts';

/** A Merkle path: sibling at each level and whether the running node is the right child. */
export interface MerklePath {
  elements: bigint[];
  indices: (0 | 1)[];
}

/** The path from node (`level`, `index`) of a `depth`-level tree whose nodes `node(l, i)` gives. */
export function merklePath(depth: number, node: (level: number, index: number) => bigint, index: number, level = 0): MerklePath {
  const elements: bigint[] = [];
  const indices: (0 | 1)[] = [];
  let i = index;
  for (let l = level; l < depth; l++) {
    elements.push(node(l, i ^ 1));
    indices.push((i & 1) as 0 | 1);
    i >>= 1;
  }
  return { elements, indices };
}

/** Raised when a tree operation is impossible (full tree, index out of range). */
export class NoteTreeError extends DrexError {
  override name = 'NoteTreeError';
  readonly code = 'NOTE_TREE_INVALID';
}

/**
 * The append-only Poseidon Merkle tree of note commitments. Empty leaves are 0; an empty subtree at
 * level l hashes to zeros[l]. Commitments are appended two at a time at an even index, as the circuit
 * inserts them.
 */
export class NoteTree {
  readonly zeros: bigint[];
  private readonly layers: bigint[][];

  constructor(
    private readonly crypto: Crypto,
    readonly depth: number,
  ) {
    if (!Number.isInteger(depth) || depth < 2 || depth > 32) throw new NoteTreeError(`tree depth must be 2..32, got ${depth}`);
    this.zeros = [0n];
    for (let l = 0; l < depth; l++) this.zeros.push(crypto.hash([this.zeros[l]!, this.zeros[l]!]));
    this.layers = Array.from({ length: depth + 1 }, () => []);
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.layers[0]!.length;
  }

  get capacity(): number {
    return 2 ** this.depth;
  }

  get root(): bigint {
    return this.node(this.depth, 0);
  }

  /** The commitment at leaf `index`, or undefined when that leaf is still empty. */
  leaf(index: number): bigint | undefined {
    return this.layers[0]![index];
  }

  /** Leaf index of `commitment`, or -1. */
  indexOf(commitment: bigint): number {
    return this.layers[0]!.indexOf(commitment);
  }

  node(level: number, index: number): bigint {
    return this.layers[level]![index] ?? this.zeros[level]!;
  }

  /** Path from the node at (`level`, `index`) to the root. */
  path(index: number, level = 0): MerklePath {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** (this.depth - level)) {
      throw new NoteTreeError(`index ${index} is outside level ${level} of a depth-${this.depth} tree`);
    }
    return merklePath(this.depth, (l, i) => this.node(l, i), index, level);
  }

  /** Appends two commitments; returns the index of the first. */
  appendPair(a: bigint, b: bigint): number {
    const start = this.size;
    if (start % 2 !== 0) throw new NoteTreeError('tree size must be even before appending a pair');
    if (start + 2 > this.capacity) throw new NoteTreeError(`note tree is full (${this.capacity} leaves)`);
    this.layers[0]!.push(a, b);
    this.rehash(start);
    return start;
  }

  /** Drops every leaf from `size` on (undoes appends back to an earlier state). */
  truncate(size: number): void {
    if (size > this.size || size < 0 || size % 2 !== 0) throw new NoteTreeError(`cannot truncate to ${size}`);
    let n = size;
    for (let l = 0; l <= this.depth; l++) {
      this.layers[l]!.length = n;
      n = Math.ceil(n / 2);
    }
    if (size > 0) this.rehash(size - 1);
  }

  /** All leaves, for persistence. */
  leaves(): bigint[] {
    return [...this.layers[0]!];
  }

  /** A tree holding `leaves`, rebuilt level by level. */
  static fromLeaves(crypto: Crypto, depth: number, leaves: readonly bigint[]): NoteTree {
    const tree = new NoteTree(crypto, depth);
    if (leaves.length % 2 !== 0) throw new NoteTreeError('a note tree holds an even number of leaves');
    if (leaves.length > tree.capacity) throw new NoteTreeError('too many leaves for the tree depth');
    tree.layers[0]!.push(...leaves);
    for (let l = 1; l <= depth; l++) {
      const below = tree.layers[l - 1]!;
      const row = tree.layers[l]!;
      for (let i = 0; i < Math.ceil(below.length / 2); i++) {
        row.push(crypto.hash([below[2 * i]!, below[2 * i + 1] ?? tree.zeros[l - 1]!]));
      }
    }
    return tree;
  }

  /** Recomputes the ancestors of leaf `from` (and of every leaf after it in its last subtree). */
  private rehash(from: number): void {
    let i = from >> 1;
    for (let l = 1; l <= this.depth; l++) {
      const below = this.layers[l - 1]!;
      const row = this.layers[l]!;
      const last = Math.ceil(below.length / 2) - 1;
      for (let j = i; j <= last; j++) {
        row[j] = this.crypto.hash([below[2 * j]!, below[2 * j + 1] ?? this.zeros[l - 1]!]);
      }
      i >>= 1;
    }
  }
}
