/**
 * Test support: a batch of real proofs. Plans `n` minter deposits on the funded test ledger (distinct,
 * valid transfers with a continuous root chain), proves each with the cached circuit artifacts and
 * returns them with the verification key and the planned roots.
 */
import { readFileSync } from 'node:fs';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { planTransfers } from '../circuits/model/plan-transfers.ts';
import { funded } from '../circuits/model/test-fixtures.ts';
import { publicSignalsOf, type TransferPublic } from '../circuits/model/transfer-witness.ts';
import { loadProverArtifacts, proveTransfer } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import type { ProofItem } from './batch-verify.ts';

export interface ProvedBatch {
  vkeyJson: unknown;
  items: ProofItem[];
  /** root_0 .. root_n. */
  roots: bigint[];
  /** The planner's public values of each transfer. */
  publics: TransferPublic[];
}

export async function provedDeposits(n: number): Promise<ProvedBatch> {
  const artifacts = await ensureArtifacts();
  const f = await funded(artifacts.manifest.depth);
  const owners = [f.alice.owner, f.bob.owner, f.carol.owner];
  const plan = planTransfers(
    f.crypto,
    f.state,
    f.policy,
    Array.from({ length: n }, (_, i) => ({ signed: f.intent(f.minter, owners[i % owners.length]!, 10n + BigInt(i)) })),
  );
  const prover = loadProverArtifacts(artifacts);
  const items: ProofItem[] = [];
  try {
    for (const t of plan.transfers) {
      const { proof, publicSignals } = await proveTransfer(prover, t.input);
      if (publicSignals.join() !== publicSignalsOf(t.public).join()) throw new Error('internal: proved signals differ from the plan');
      items.push({ proof, publicSignals });
    }
  } finally {
    await releaseSnarkjs();
  }
  return {
    vkeyJson: JSON.parse(readFileSync(artifacts.vkey, 'utf8')),
    items,
    roots: plan.roots,
    publics: plan.transfers.map((t) => t.public),
  };
}
