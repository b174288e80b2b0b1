/**
 * The MSM stage of a staged prove: the five multi-scalar multiplications of Groth16 over the proving
 * key's queries, as snarkjs 0.7.6 computes them. A pure function of the key and the scalars, so it is
 * linear: the points of two additive shares of the scalars add up to the points of the scalars.
 */
import type { MsmPoints } from './affine-points.ts';
import { ScalarVectorError } from './errors.ts';
import { wasmMsmBackend, type MsmBackend } from './msm-backend.ts';
import { SCALAR_BYTES, type ProvingKey } from './proving-key.ts';
import type { MsmScalars } from './witness-stage.ts';

/**
 * A = MSM(A query, witness), B1 = MSM(B query in G1, witness), B2 = MSM(B query in G2, witness),
 * C = MSM(C query, the private part of the witness), H = MSM(H query, quotient).
 */
export async function msmStage(pk: ProvingKey, scalars: MsmScalars, backend: MsmBackend = wasmMsmBackend): Promise<MsmPoints> {
  const { witness, quotient } = scalars;
  if (witness.byteLength !== pk.nVars * SCALAR_BYTES) {
    throw new ScalarVectorError(`witness holds ${witness.byteLength} bytes, the proving key needs ${pk.nVars} scalars`);
  }
  if (quotient.byteLength !== pk.domainSize * SCALAR_BYTES) {
    throw new ScalarVectorError(`quotient holds ${quotient.byteLength} bytes, the proving key needs ${pk.domainSize} scalars`);
  }
  const s = pk.sections;
  // In snarkjs's order, one after the other: each MSM already spreads over every thread.
  const A = await backend.g1MultiExp(s.a, witness);
  const B1 = await backend.g1MultiExp(s.b1, witness);
  const B2 = await backend.g2MultiExp(s.b2, witness);
  const C = await backend.g1MultiExp(s.c, witness.subarray((pk.nPublic + 1) * SCALAR_BYTES));
  const H = await backend.g1MultiExp(s.h, quotient);
  return { A, B1, B2, C, H };
}
