import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import type { CircuitInput } from '../../circuits/model/batch-witness.ts';
import { planBatches } from '../../circuits/model/plan-batches.ts';
import { fundedLedger } from '../../circuits/model/test-fixtures.ts';
import { loadProverArtifacts, type ProverArtifacts } from '../prover/groth16-prover.ts';
import { createProverPool, type ProverPool } from './prover-pool.ts';
import { testLogger } from '../../test/support/test-logger.ts';

let pool: ProverPool;
let artifacts: ProverArtifacts;
let hash: string;
let refused: CircuitInput;

beforeAll(async () => {
  const a = await ensureArtifacts();
  artifacts = loadProverArtifacts(a);
  hash = a.manifest.zkeyHash;
  const { k, depth, nullDepth } = a.manifest;
  const f = await fundedLedger({ k, depth, nullDepth });
  const [p] = planBatches(f.crypto, f.ledger, f.params, [{ signed: f.intent(f.alice, f.bob.owner, 100n) }]).proofs;
  // The signed amount is 100: the circuit refuses the signature over 101.
  refused = { ...p!.input, amount: (p!.input.amount as string[]).map((a, s) => (s === 0 ? '101' : a)) };
  pool = await createProverPool({ threads: 2, log: testLogger('prover-pool-test') });
});

afterAll(async () => {
  await pool?.close();
});

describe('prover pool (worker_threads under tsx)', () => {
  it('reports the circuit refusing inputs as a WitnessError from the thread, and stays usable', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(pool.prove(hash, artifacts, refused)).rejects.toMatchObject({ name: 'WitnessError', code: 'WITNESS_FAILED' });
    }
  });

  it('refuses work once closed and ends its threads', async () => {
    const p = await createProverPool({ threads: 1, log: testLogger('prover-pool-test') });
    await p.close();
    await expect(p.prove(hash, artifacts, refused)).rejects.toMatchObject({ code: 'PROVER_POOL_CLOSED' });
  });

  it('rejects a thread count that is not a positive integer', async () => {
    await expect(createProverPool({ threads: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});
