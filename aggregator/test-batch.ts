/**
 * Test support: a batch of real proofs. Plans `n` minter deposits on the funded test ledger (distinct,
 * valid transfers with a continuous chain of ledger points), proves each proof (k transfers, the default
 * artifacts' k) and returns them with the verification key, the planned points and the domain.
 */
import { readFileSync } from 'node:fs';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { batchPublicSignals, type BatchPublic } from '../circuits/model/batch-witness.ts';
import type { LedgerPoint } from '../circuits/model/ledger.ts';
import { planBatches } from '../circuits/model/plan-batches.ts';
import { fundedLedger } from '../circuits/model/test-fixtures.ts';
import type { ChainPoint } from '../protocol/ledger-point.ts';
import { loadProverArtifacts, proveTransfer } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import type { ProofItem } from './batch-verify.ts';

export interface ProvedBatch {
  vkeyJson: unknown;
  /** One per proof, in planned order. */
  items: ProofItem[];
  /** Before proof 0, then after each proof. */
  points: ChainPoint[];
  /** The planner's public values of each proof. */
  publics: BatchPublic[];
  /** The domain the intents are signed in. */
  domain: bigint;
}

/** The public part of a planner's ledger point. */
export function chainPointOf(p: LedgerPoint): ChainPoint {
  return { noteRoot: p.noteRoot, noteIndex: BigInt(p.noteIndex), nullRoot: p.nullRoot };
}

/** `n` deposits from the test minter to alice, bob and carol in turn, proved in ceil(n / k) proofs. */
export async function provedDeposits(n: number): Promise<ProvedBatch> {
  const artifacts = await ensureArtifacts();
  const { k, depth, nullDepth } = artifacts.manifest;
  const f = await fundedLedger({ k, depth, nullDepth });
  const owners = [f.alice.owner, f.bob.owner, f.carol.owner];
  const plan = planBatches(
    f.crypto,
    f.ledger,
    f.params,
    Array.from({ length: n }, (_, i) => ({ signed: f.intent(f.minter, owners[i % owners.length]!, 10n + BigInt(i)) })),
  );
  const prover = loadProverArtifacts(artifacts);
  const items: ProofItem[] = [];
  try {
    for (const p of plan.proofs) {
      const { proof, publicSignals } = await proveTransfer(prover, p.input);
      if (publicSignals.join() !== batchPublicSignals(p.public).join()) throw new Error('internal: proved signals differ from the plan');
      items.push({ proof, publicSignals });
    }
  } finally {
    await releaseSnarkjs();
  }
  return {
    vkeyJson: JSON.parse(readFileSync(artifacts.vkey, 'utf8')),
    items,
    points: plan.points.map(chainPointOf),
    publics: plan.proofs.map((p) => p.public),
    domain: f.params.domain,
  };
}
