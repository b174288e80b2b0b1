import { beforeAll, describe, expect, it } from 'vitest';
import { concat, keccak256, toHex, type Hex } from 'viem';
import { toSolidityProof } from '../protocol/groth16-encoding.ts';
import {
  AggregationTreeError,
  aggregationLeaf,
  aggregationNode,
  aggregationProof,
  aggregationRoot,
  pathOfLeaves,
  rootOfLeaves,
  verifyAggregationProof,
} from './aggregation-tree.ts';
import type { ProofItem } from './batch-verify.ts';
import { provedDeposits } from './test-batch.ts';

let real: ProofItem[];

beforeAll(async () => {
  real = (await provedDeposits(3)).items;
}, 300_000);

/** `n` distinct items: the real proofs, with the last public signal set to the item's index. */
const itemsOf = (n: number): ProofItem[] =>
  Array.from({ length: n }, (_, i) => ({ proof: real[i % real.length]!.proof, publicSignals: [...real[i % real.length]!.publicSignals.slice(0, 10), String(i)] }));

const word = (x: bigint) => toHex(x, { size: 32 });

describe('aggregation tree', () => {
  it('leaf = keccak256 of the 19 words [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y, inputs...]', () => {
    const item = real[0]!;
    const { pi_a, pi_b, pi_c } = item.proof;
    const words = [pi_a[0], pi_a[1], pi_b[0]![1], pi_b[0]![0], pi_b[1]![1], pi_b[1]![0], pi_c[0], pi_c[1], ...item.publicSignals].map((s) => word(BigInt(s!)));
    expect(words).toHaveLength(19);
    expect(aggregationLeaf(item)).toBe(keccak256(concat(words)));
    expect(toSolidityProof(item.proof).map(word)).toEqual(words.slice(0, 8));
  });

  it('hashes pairs, carries an odd last node up unchanged, and roots a single leaf at itself', () => {
    const [l0, l1, l2, l3, l4] = itemsOf(5).map(aggregationLeaf) as [Hex, Hex, Hex, Hex, Hex];
    expect(aggregationNode(l0, l1)).toBe(keccak256(concat([l0, l1])));
    expect(aggregationRoot(itemsOf(1))).toBe(l0);
    expect(aggregationRoot(itemsOf(2))).toBe(aggregationNode(l0, l1));
    expect(aggregationRoot(itemsOf(3))).toBe(aggregationNode(aggregationNode(l0, l1), l2));
    expect(aggregationRoot(itemsOf(3))).not.toBe(aggregationNode(aggregationNode(l0, l1), aggregationNode(l2, l2)));
    const n0123 = aggregationNode(aggregationNode(l0, l1), aggregationNode(l2, l3));
    expect(aggregationRoot(itemsOf(5))).toBe(aggregationNode(n0123, l4));
    expect(aggregationProof(itemsOf(5), 4)).toEqual({ leafCount: 5, siblings: [n0123] });
    expect(aggregationProof(itemsOf(3), 2)).toEqual({ leafCount: 3, siblings: [aggregationNode(l0, l1)] });
  });

  it('gives every leaf a path that verifies, and refuses a wrong leaf, index or sibling', () => {
    for (let n = 1; n <= 17; n++) {
      const leaves = itemsOf(n).map(aggregationLeaf);
      const root = rootOfLeaves(leaves);
      leaves.forEach((leaf, i) => {
        const path = pathOfLeaves(leaves, i);
        expect(verifyAggregationProof(leaf, i, path, root)).toBe(true);
        expect(verifyAggregationProof(leaves[(i + 1) % n]!, i, path, root)).toBe(n === 1);
        if (n > 1) expect(verifyAggregationProof(leaf, (i + 1) % n, path, root)).toBe(false);
        if (path.siblings.length > 0) {
          const bad = { ...path, siblings: path.siblings.map((s, k) => (k === 0 ? keccak256(s) : s)) };
          expect(verifyAggregationProof(leaf, i, bad, root)).toBe(false);
          expect(verifyAggregationProof(leaf, i, { ...path, siblings: path.siblings.slice(1) }, root)).toBe(false);
        }
        expect(verifyAggregationProof(leaf, i, { ...path, siblings: [...path.siblings, leaf] }, root)).toBe(false);
      });
    }
    const items = itemsOf(6);
    const path = aggregationProof(items, 2);
    const root = aggregationRoot(items);
    expect(verifyAggregationProof(aggregationLeaf(items[2]!), 2, path, root.toUpperCase().replace('0X', '0x') as Hex)).toBe(true);
    expect(verifyAggregationProof('0x1234', 2, path, root)).toBe(false);
    expect(verifyAggregationProof(aggregationLeaf(items[2]!), 6, path, root)).toBe(false);
  });

  it('refuses an empty batch, an index out of range and a wrong number of public inputs', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(AggregationTreeError);
        return (err as AggregationTreeError).code;
      }
      return 'none';
    };
    expect(code(() => aggregationRoot([]))).toBe('EMPTY_TREE');
    expect(code(() => aggregationProof(itemsOf(3), 3))).toBe('INDEX_OUT_OF_RANGE');
    expect(code(() => aggregationLeaf({ proof: real[0]!.proof, publicSignals: real[0]!.publicSignals.slice(1) }))).toBe('BAD_PUBLIC_INPUTS');
  });
});
