/**
 * The aggregation tree of a settled batch: a keccak256 Merkle tree over its proofs, so that a regulator
 * can check that one proof (and so its transfers) is part of a batch from the batch's root alone. The
 * settlement contract computes the same root on chain, so the definition is exact:
 *
 * - Leaf i = keccak256(abi.encode(uint256[8] proof, uint256[11] publicInputs)), where `proof` is
 *   `toSolidityProof` order [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y] and `publicInputs` are
 *   the public signals in circuit order. Both arrays are static, so the preimage is the 19 words
 *   concatenated (608 bytes).
 * - Internal node = keccak256(abi.encodePacked(bytes32 left, bytes32 right)) (64 bytes). Leaves and
 *   nodes have preimages of different lengths, so a node cannot pass for a leaf.
 * - Level 0 is the leaves in batch order. A level with an odd number of nodes carries its last node up
 *   to the next level unchanged (it is not hashed with itself). The root is the single node left; the
 *   root of a one-leaf tree is that leaf. An empty batch has no root.
 *
 * Because odd levels carry up, an inclusion path is checked with the batch's leaf count.
 */
import { encodeAbiParameters, encodePacked, keccak256, type Hex } from 'viem';
import { toSolidityProof, type SolidityProof } from '../protocol/groth16-encoding.ts';
import type { ProofItem } from './batch-verify.ts';
import { DrexError } from '../protocol/errors.ts';

/** Raised for an empty batch, an index out of range or public inputs of the wrong shape. */
export class AggregationTreeError extends DrexError {
  override name = 'AggregationTreeError';
  constructor(
    readonly code: 'EMPTY_TREE' | 'INDEX_OUT_OF_RANGE' | 'BAD_PUBLIC_INPUTS',
    message: string,
  ) {
    super(message);
  }
}

/** Number of public inputs of the transfer circuit, fixed by the leaf encoding. */
export const LEAF_PUBLIC_INPUTS = 11;

const LEAF_TYPES = [{ type: 'uint256[8]' }, { type: 'uint256[11]' }] as const;

/** The inclusion proof of one leaf: its siblings from the bottom up, and the batch's leaf count. */
export interface AggregationPath {
  leafCount: number;
  siblings: Hex[];
}

type Uint256x11 = readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** Leaf of an encoded proof: keccak256(abi.encode(uint256[8] proof, uint256[11] publicInputs)). */
export function leafOf(proof: SolidityProof, publicInputs: readonly bigint[]): Hex {
  if (publicInputs.length !== LEAF_PUBLIC_INPUTS) {
    throw new AggregationTreeError('BAD_PUBLIC_INPUTS', `a leaf takes ${LEAF_PUBLIC_INPUTS} public inputs, got ${publicInputs.length}`);
  }
  return keccak256(encodeAbiParameters(LEAF_TYPES, [proof, publicInputs as Uint256x11]));
}

/** Leaf of one proof as snarkjs writes it (public signals as decimal strings). */
export function aggregationLeaf(item: ProofItem): Hex {
  const inputs = item.publicSignals.map((s, j) => {
    if (typeof s !== 'string' || !/^\d{1,78}$/.test(s) || BigInt(s) >= 1n << 256n) {
      throw new AggregationTreeError('BAD_PUBLIC_INPUTS', `public input ${j} is not a uint256 decimal string`);
    }
    return BigInt(s);
  });
  return leafOf(toSolidityProof(item.proof), inputs);
}

const isBytes32 = (h: unknown): h is Hex => typeof h === 'string' && /^0x[0-9a-fA-F]{64}$/.test(h);

/** Internal node: keccak256(abi.encodePacked(bytes32 left, bytes32 right)). */
export function aggregationNode(left: Hex, right: Hex): Hex {
  return keccak256(encodePacked(['bytes32', 'bytes32'], [left, right]));
}

/** The next level up: pairs hashed, an odd last node carried unchanged. */
function parentLevel(level: readonly Hex[]): Hex[] {
  const up: Hex[] = [];
  for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? aggregationNode(level[i]!, level[i + 1]!) : level[i]!);
  return up;
}

/** Root over precomputed leaves (in batch order). */
export function rootOfLeaves(leaves: readonly Hex[]): Hex {
  if (leaves.length === 0) throw new AggregationTreeError('EMPTY_TREE', 'an empty batch has no aggregation root');
  let level = [...leaves];
  while (level.length > 1) level = parentLevel(level);
  return level[0]!;
}

/** Inclusion path of leaf `index` over precomputed leaves. */
export function pathOfLeaves(leaves: readonly Hex[], index: number): AggregationPath {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new AggregationTreeError('INDEX_OUT_OF_RANGE', `leaf ${index} is not in a tree of ${leaves.length} leaves`);
  }
  const siblings: Hex[] = [];
  let level = [...leaves];
  let i = index;
  while (level.length > 1) {
    const sibling = i ^ 1;
    if (sibling < level.length) siblings.push(level[sibling]!);
    level = parentLevel(level);
    i >>= 1;
  }
  return { leafCount: leaves.length, siblings };
}

/** The aggregation root of a batch (items in planned order). */
export function aggregationRoot(items: readonly ProofItem[]): Hex {
  return rootOfLeaves(items.map(aggregationLeaf));
}

/** The inclusion path of item `index` of a batch. */
export function aggregationProof(items: readonly ProofItem[], index: number): AggregationPath {
  return pathOfLeaves(items.map(aggregationLeaf), index);
}

/**
 * True when `leaf` sits at `index` of a tree of `path.leafCount` leaves with root `root`. Walks up
 * the levels; where the node is the carried last node of an odd level, no sibling is consumed.
 */
export function verifyAggregationProof(leaf: Hex, index: number, path: AggregationPath, root: Hex): boolean {
  const { leafCount, siblings } = path;
  if (!Number.isInteger(leafCount) || leafCount < 1 || !Number.isInteger(index) || index < 0 || index >= leafCount) return false;
  if (!Array.isArray(siblings) || ![leaf, root, ...siblings].every(isBytes32)) return false;
  let node = leaf.toLowerCase() as Hex;
  let i = index;
  let width = leafCount;
  let used = 0;
  while (width > 1) {
    const sibling = i ^ 1;
    if (sibling < width) {
      const s = siblings[used++];
      if (s === undefined) return false;
      node = i & 1 ? aggregationNode(s, node) : aggregationNode(node, s);
    }
    width = (width + 1) >> 1;
    i >>= 1;
  }
  return used === siblings.length && node === root.toLowerCase();
}
