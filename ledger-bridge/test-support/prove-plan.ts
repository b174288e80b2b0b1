import { concat, encodeAbiParameters, keccak256, type Hex } from 'viem';
import type { BatchPlan } from '../../circuits/model/plan-batches.ts';
import { batchPublicSignals } from '../../circuits/model/batch-witness.ts';
import { toSolidityProof, type SolidityProof } from '../../protocol/groth16-encoding.ts';
import { proveTransfer, type ProverArtifacts } from '../../worker/prover/groth16-prover.ts';

/** A proved batch in the settlement contract's encoding. */
export interface ProvedBatch {
  proofs: SolidityProof[];
  publicInputs: bigint[][];
}

/** Proves every proof of `plan` (sequentially) and checks the proofs' public signals are the plan's. */
export async function provePlan(prover: ProverArtifacts, plan: Pick<BatchPlan, 'proofs'>, onProof?: (i: number) => void): Promise<ProvedBatch> {
  const out: ProvedBatch = { proofs: [], publicInputs: [] };
  for (const [i, p] of plan.proofs.entries()) {
    const r = await proveTransfer(prover, p.input as Record<string, unknown>);
    const expected = batchPublicSignals(p.public);
    if (r.publicSignals.join() !== expected.join()) throw new Error(`proof ${i}: public signals differ from the plan`);
    out.proofs.push(toSolidityProof(r.proof));
    out.publicInputs.push(expected.map(BigInt));
    onProof?.(i);
  }
  return out;
}

/** The proofs of several batches, in order, as one batch. */
export function concatProved(...bs: ProvedBatch[]): ProvedBatch {
  return { proofs: bs.flatMap((b) => b.proofs), publicInputs: bs.flatMap((b) => b.publicInputs) };
}

/** The first `n` proofs of a proved batch. */
export function prefix(b: ProvedBatch, n: number): ProvedBatch {
  return { proofs: b.proofs.slice(0, n), publicInputs: b.publicInputs.slice(0, n) };
}

/** The batch with public input `j` of proof `i` replaced by `f` of it. */
export function withInput(b: ProvedBatch, i: number, j: number, f: (v: bigint) => bigint): ProvedBatch {
  return { proofs: b.proofs, publicInputs: b.publicInputs.map((x, a) => (a === i ? x.map((v, c) => (c === j ? f(v) : v)) : x)) };
}

/**
 * Reference aggregation root: leaf = keccak256(abi.encode(uint256[8], uint256[11])), node =
 * keccak256(left || right), an odd level carries its last node up, a 1-leaf tree's root is the leaf.
 */
export function aggregationRootOf(b: ProvedBatch): Hex {
  let level: Hex[] = b.proofs.map((p, i) =>
    keccak256(encodeAbiParameters([{ type: 'uint256[8]' }, { type: 'uint256[11]' }], [p, b.publicInputs[i]! as never])),
  );
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let k = 0; k + 1 < level.length; k += 2) next.push(keccak256(concat([level[k]!, level[k + 1]!])));
    if (level.length % 2) next.push(level.at(-1)!);
    level = next;
  }
  return level[0]!;
}
