/**
 * Completes a Groth16 proof from the five MSM results with fresh randomness r, s, by snarkjs 0.7.6's
 * formulas (groth16_prove.js):
 *   pi_a = A + alpha1 + r*delta1
 *   pi_b = B2 + beta2 + s*delta2            (G2)
 *   b1   = B1 + beta1 + s*delta1
 *   pi_c = C + H + s*pi_a + r*b1 - r*s*delta1
 * and writes it as snarkjs does (affine, decimal strings, z = 1; the identity as [0, 1, 0]).
 */
import { g1ToCurve, g2ToCurve, type MsmPoints } from './affine-points.ts';
import { plainCurve } from './curve.ts';
import type { ProvingKey } from './proving-key.ts';

/** A Groth16 proof as snarkjs writes it. */
export interface Groth16Proof {
  pi_a: [string, string, string];
  pi_b: [[string, string], [string, string], [string, string]];
  pi_c: [string, string, string];
  protocol: 'groth16';
  curve: 'bn128';
}

/** A proof with the public signals it proves (snarkjs's `groth16.prove` result). */
export interface ProofWithSignals {
  proof: Groth16Proof;
  publicSignals: string[];
}

/** The proof of `points` (the MSMs of the whole witness, or the sum of both halves'), for `publicSignals`. */
export async function combineProof(pk: ProvingKey, points: MsmPoints, publicSignals: readonly string[]): Promise<ProofWithSignals> {
  const { Fr, G1, G2 } = await plainCurve();
  const r = Fr.random();
  const s = Fr.random();

  let piA = G1.add(g1ToCurve(G1, points.A), pk.alpha1);
  piA = G1.add(piA, G1.timesFr(pk.delta1, r));

  let piB = G2.add(g2ToCurve(G2, points.B2), pk.beta2);
  piB = G2.add(piB, G2.timesFr(pk.delta2, s));

  let b1 = G1.add(g1ToCurve(G1, points.B1), pk.beta1);
  b1 = G1.add(b1, G1.timesFr(pk.delta1, s));

  let piC = G1.add(g1ToCurve(G1, points.C), g1ToCurve(G1, points.H));
  piC = G1.add(piC, G1.timesFr(piA, s));
  piC = G1.add(piC, G1.timesFr(b1, r));
  piC = G1.add(piC, G1.timesFr(pk.delta1, Fr.neg(Fr.mul(r, s))));

  const a = G1.toObject(G1.toAffine(piA)).map(String);
  const c = G1.toObject(G1.toAffine(piC)).map(String);
  const b = G2.toObject(G2.toAffine(piB)).map((e) => e.map(String));
  return {
    proof: {
      pi_a: [a[0]!, a[1]!, a[2]!],
      pi_b: [
        [b[0]![0]!, b[0]![1]!],
        [b[1]![0]!, b[1]![1]!],
        [b[2]![0]!, b[2]![1]!],
      ],
      pi_c: [c[0]!, c[1]!, c[2]!],
      protocol: 'groth16',
      curve: 'bn128',
    },
    publicSignals: [...publicSignals],
  };
}
