import { describe, expect, it } from 'vitest';
import { loadCrypto } from './crypto.ts';
import { KEY_BITS, nullifierKey, NullifierSet, NullifierSetError } from './nullifier-set.ts';

/** The root of the tree the set's leaves define, recomputed from scratch. */
function rootOf(hash: (x: bigint[]) => bigint, depth: number, leaves: bigint[]): bigint {
  let level = [...leaves];
  let zero = 0n;
  for (let l = 0; l < depth; l++) {
    const next: bigint[] = [];
    for (let i = 0; i < Math.max(1, Math.ceil(level.length / 2)); i++) next.push(hash([level[2 * i] ?? zero, level[2 * i + 1] ?? zero]));
    level = next;
    zero = hash([zero, zero]);
  }
  return level[0]!;
}

describe('NullifierSet (indexed Merkle tree)', () => {
  it('keeps a sorted linked list whose low leaves bracket each inserted key, with the root of its leaves', async () => {
    const crypto = await loadCrypto();
    const set = NullifierSet.empty(crypto, 4);
    const keys = [50n, 10n, 30n, 70n];
    for (const k of keys) {
      const w = set.insert(k);
      expect(w.lowValue < k).toBe(true);
      expect(w.lowNext === 0n || k < w.lowNext).toBe(true);
    }
    expect(set.size).toBe(5);
    expect(set.keys()).toEqual(keys);
    // Leaves in insertion order: (0 -> 10), (50 -> 70), (10 -> 30), (30 -> 50), (70 -> end).
    const leaves = [[0n, 10n], [50n, 70n], [10n, 30n], [30n, 50n], [70n, 0n]].map((p) => crypto.hash(p));
    expect(set.root).toBe(rootOf(crypto.hash, 4, leaves));
    expect(set.state).toBe(crypto.hash([set.root, 5n]));
    expect(NullifierSet.fromKeys(crypto, 4, keys).state).toBe(set.state);
  });

  it('refuses a key it holds, a key out of range and a full set, changing nothing', async () => {
    const crypto = await loadCrypto();
    const set = NullifierSet.fromKeys(crypto, 2, [5n, 9n]);
    const before = set.state;
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(NullifierSetError);
        return (e as NullifierSetError).code;
      }
      return 'accepted';
    };
    expect(code(() => set.insert(9n))).toBe('KEY_PRESENT');
    expect(code(() => set.insert(0n))).toBe('KEY_OUT_OF_RANGE');
    expect(code(() => set.insert(1n << KEY_BITS))).toBe('KEY_OUT_OF_RANGE');
    expect(set.state).toBe(before);
    set.insert(7n);
    expect(code(() => set.insert(8n))).toBe('SET_FULL');
    expect(nullifierKey((1n << 253n) + 3n)).toBe(3n);
  });
});
