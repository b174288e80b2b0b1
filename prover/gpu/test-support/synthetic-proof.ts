/**
 * A small real proving key and witness for prover tests that must stay fast: the synthetic R1CS of
 * circuits/ceremony (each constraint (w[prev] + k w[pub]) (k w[prev] + 1) = w[out]) with the dev setup,
 * and its witness computed constraint by constraint, with the quotient the staged prover computes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { devSetup } from '../../../circuits/ceremony/dev-setup.ts';
import { writeSyntheticR1cs } from '../../../circuits/ceremony/synthetic-r1cs.ts';
import { threadedCurve } from '../../curve.ts';
import { readProvingKey, type ProvingKey } from '../../proving-key.ts';
import { computeQuotient } from '../../quotient.ts';
import type { WitnessScalars } from '../../witness-stage.ts';
import { BN254_R } from '../field-layout.ts';
import { keyScalars, randomScalar } from './points.ts';

export interface SyntheticProof {
  pk: ProvingKey;
  vkey: unknown;
  scalars: WitnessScalars;
}

/** Keys for `constraints` synthetic constraints with `publicInputs` public inputs in `dir`, and a witness. */
export async function syntheticProof(dir: string, constraints: number, publicInputs: number): Promise<SyntheticProof> {
  const r1cs = join(dir, 'synthetic.r1cs');
  const zkey = join(dir, 'synthetic.zkey');
  writeSyntheticR1cs(r1cs, { constraints, publicInputs });
  await devSetup({ r1cs, zkey });
  const pk = readProvingKey(readFileSync(zkey));
  const wide = (BN254_R * 2n) / 3n;
  const w = [1n, ...Array.from({ length: publicInputs }, randomScalar)];
  for (let i = 0; i < constraints; i++) {
    const prev = i === 0 ? 0 : w.length - 1;
    const pub = publicInputs > 0 && i % 3 === 0 ? 1 + (i % publicInputs) : 0;
    w.push(((w[prev]! + wide * w[pub]!) * (wide * w[prev]! + 1n)) % BN254_R);
  }
  const witness = keyScalars(w);
  const quotient = await computeQuotient(await threadedCurve(), pk, witness);
  const publicSignals = w.slice(1, 1 + publicInputs).map(String);
  return { pk, vkey: await snarkjs.zKey.exportVerificationKey(zkey), scalars: { witness, quotient, publicSignals } };
}
