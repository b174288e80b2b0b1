import type { Crypto } from './crypto.ts';
import { merklePath, type MerklePath } from './note-tree.ts';
import { DrexError } from '../../protocol/errors.ts';

/** Keys are the low 252 bits of a nullifier (nullifier-set.circom's NullifierKey). */
export const KEY_BITS = 252n;
const KEY_MASK = (1n << KEY_BITS) - 1n;

/** The set key of a nullifier. */
export function nullifierKey(nullifier: bigint): bigint {
  return nullifier & KEY_MASK;
}

/** Raised when an insertion is impossible: the key is in the set, out of range, or the set is full. */
export class NullifierSetError extends DrexError {
  override name = 'NullifierSetError';
  constructor(
    readonly code: 'KEY_PRESENT' | 'KEY_OUT_OF_RANGE' | 'SET_FULL',
    message: string,
  ) {
    super(message);
  }
}

/** What the circuit needs to insert one key (nullifier-set.circom's NullifierInsert). */
export interface SetInsertion {
  key: bigint;
  lowValue: bigint;
  lowNext: bigint;
  lowPath: MerklePath;
  /** Siblings of the next free leaf, in the set after the low leaf's update. */
  newPathElements: bigint[];
}

/**
 * The nullifier set as an indexed Merkle tree: leaf i = Poseidon(value, nextValue), the leaves a linked
 * list sorted by value from the sentinel (0, 0) at leaf 0; nextValue 0 ends the list; empty leaves are 0.
 * Its public state is Poseidon(root, size).
 */
export class NullifierSet {
  private readonly zeros: bigint[] = [0n];
  private readonly layers: bigint[][];
  /** (value, nextValue) per leaf, in insertion order. */
  private readonly entries: { value: bigint; next: bigint }[] = [];
  /** Values in increasing order (for the low-leaf search) and their leaf index. */
  private readonly sorted: bigint[] = [];
  private readonly indexOf = new Map<bigint, number>();

  private constructor(
    private readonly crypto: Crypto,
    readonly depth: number,
  ) {
    for (let l = 0; l < depth; l++) this.zeros.push(crypto.hash([this.zeros[l]!, this.zeros[l]!]));
    this.layers = Array.from({ length: depth + 1 }, () => []);
  }

  /** A set holding only the sentinel. */
  static empty(crypto: Crypto, depth: number): NullifierSet {
    if (!Number.isInteger(depth) || depth < 2 || depth > 32) throw new RangeError(`nullifier-set depth must be 2..32, got ${depth}`);
    const set = new NullifierSet(crypto, depth);
    set.entries.push({ value: 0n, next: 0n });
    set.sorted.push(0n);
    set.indexOf.set(0n, 0);
    set.setLeaf(0);
    return set;
  }

  /** A set holding `keys`, inserted in this order. */
  static fromKeys(crypto: Crypto, depth: number, keys: readonly bigint[]): NullifierSet {
    const set = NullifierSet.empty(crypto, depth);
    for (const k of keys) set.insert(k);
    return set;
  }

  /** Leaves in use, the sentinel included: the next free index. */
  get size(): number {
    return this.entries.length;
  }

  get capacity(): number {
    return 2 ** this.depth;
  }

  get root(): bigint {
    return this.node(this.depth, 0);
  }

  /** Poseidon(root, size): what the chain and the proofs carry. */
  get state(): bigint {
    return this.crypto.hash([this.root, BigInt(this.size)]);
  }

  has(key: bigint): boolean {
    return key !== 0n && this.indexOf.has(key);
  }

  /** The inserted keys, in insertion order (the sentinel left out). */
  keys(): bigint[] {
    return this.keysSince(0);
  }

  /** The keys inserted after the first `count`, in insertion order. */
  keysSince(count: number): bigint[] {
    return this.entries.slice(1 + count).map((e) => e.value);
  }

  /** Inserts `key`, returning what the circuit needs to prove the insertion. */
  insert(key: bigint): SetInsertion {
    if (key <= 0n || key > KEY_MASK) throw new NullifierSetError('KEY_OUT_OF_RANGE', `set keys are in (0, 2^252), got ${key}`);
    if (this.indexOf.has(key)) throw new NullifierSetError('KEY_PRESENT', `key ${key} is already in the nullifier set`);
    if (this.size >= this.capacity) throw new NullifierSetError('SET_FULL', `the nullifier set is full (${this.capacity} leaves)`);
    const pos = this.lowPosition(key);
    const lowIndex = this.indexOf.get(this.sorted[pos]!)!;
    const low = this.entries[lowIndex]!;
    const insertion = { key, lowValue: low.value, lowNext: low.next, lowPath: this.path(lowIndex) };
    const at = this.size;
    this.entries.push({ value: key, next: low.next });
    low.next = key;
    this.setLeaf(lowIndex);
    const newPathElements = this.path(at).elements;
    this.setLeaf(at);
    this.sorted.splice(pos + 1, 0, key);
    this.indexOf.set(key, at);
    return { ...insertion, newPathElements };
  }

  /**
   * For soundness tests: the best a cheating prover can offer for a key already in the set, the leaf
   * holding it as the "low" leaf (the circuit must refuse it). Changes nothing.
   */
  presentWitness(key: bigint): SetInsertion {
    const at = this.indexOf.get(key);
    if (at === undefined) throw new NullifierSetError('KEY_OUT_OF_RANGE', `key ${key} is not in the set`);
    const e = this.entries[at]!;
    return { key, lowValue: e.value, lowNext: e.next, lowPath: this.path(at), newPathElements: this.path(this.size).elements };
  }

  /** Index in `sorted` of the largest value below `key`. */
  private lowPosition(key: bigint): number {
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.sorted[mid]! < key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private node(level: number, index: number): bigint {
    return this.layers[level]![index] ?? this.zeros[level]!;
  }

  private path(index: number): MerklePath {
    return merklePath(this.depth, (l, i) => this.node(l, i), index);
  }

  private setLeaf(index: number): void {
    const e = this.entries[index]!;
    this.layers[0]![index] = this.crypto.hash([e.value, e.next]);
    let i = index;
    for (let l = 1; l <= this.depth; l++) {
      i >>= 1;
      this.layers[l]![i] = this.crypto.hash([this.node(l - 1, 2 * i), this.node(l - 1, 2 * i + 1)]);
    }
  }
}
