import { describe, expect, it, beforeAll } from 'vitest';
import { loadCrypto, type Crypto } from './crypto.ts';
import { NoteTree, NoteTreeError } from './note-tree.ts';

let crypto: Crypto;
beforeAll(async () => {
  crypto = await loadCrypto();
});

function rootFromPath(c: Crypto, leaf: bigint, path: { elements: bigint[]; indices: number[] }): bigint {
  return path.elements.reduce((cur, sib, l) => (path.indices[l] ? c.hash([sib, cur]) : c.hash([cur, sib])), leaf);
}

describe('NoteTree', () => {
  it('has the empty-subtree root at every level and Poseidon(0,0) at level 1', () => {
    const t = new NoteTree(crypto, 4);
    expect(t.zeros[1]).toBe(14744269619966411208579211824598458697587494354926760081771325075741142829156n);
    expect(t.root).toBe(t.zeros[4]);
  });

  it('gives paths that hash to the root for every leaf', () => {
    const t = new NoteTree(crypto, 5);
    for (let i = 0; i < 7; i++) t.appendPair(BigInt(100 + 2 * i), BigInt(101 + 2 * i));
    for (let i = 0; i < t.size; i++) expect(rootFromPath(crypto, t.leaf(i)!, t.path(i))).toBe(t.root);
    // An empty slot's path proves emptiness.
    expect(rootFromPath(crypto, t.zeros[1]!, t.path(t.size / 2, 1))).toBe(t.root);
  });

  it('rebuilds the same root from its leaves and truncates back to an earlier root', () => {
    const t = new NoteTree(crypto, 6);
    t.appendPair(1n, 2n);
    const r1 = t.root;
    t.appendPair(3n, 4n);
    t.appendPair(5n, 6n);
    expect(NoteTree.fromLeaves(crypto, 6, t.leaves()).root).toBe(t.root);
    t.truncate(2);
    expect(t.root).toBe(r1);
    expect(t.size).toBe(2);
  });

  it('refuses to grow past its capacity', () => {
    const t = new NoteTree(crypto, 2);
    t.appendPair(1n, 2n);
    t.appendPair(3n, 4n);
    expect(() => t.appendPair(5n, 6n)).toThrow(NoteTreeError);
  });
});
