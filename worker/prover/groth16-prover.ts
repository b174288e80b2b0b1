import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof } from 'snarkjs';
import { DrexError } from '../../protocol/errors.ts';

export type { Groth16Proof };

/** A proof with the public signals it proves, as snarkjs writes them. */
export interface ProofResult {
  proof: Groth16Proof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
}

/** Raised when the witness calculator refuses the inputs (a constraint does not hold). */
export class WitnessError extends DrexError {
  override name = 'WitnessError';
  readonly code = 'WITNESS_FAILED';
}

/** Proving artifacts held in memory (fetched once, by content hash). */
export interface ProverArtifacts {
  wasm: Uint8Array;
  zkey: Uint8Array;
}

/** Loads the wasm witness calculator and proving key from disk into memory. */
export function loadProverArtifacts(paths: { wasm: string; zkey: string }): ProverArtifacts {
  return { wasm: readFileSync(paths.wasm), zkey: readFileSync(paths.zkey) };
}

/** Computes the witness of `input` into memory (a snarkjs .wtns byte string). */
export async function calculateWitness(artifacts: Pick<ProverArtifacts, 'wasm'>, input: Record<string, unknown>): Promise<Uint8Array> {
  const wtns: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
  try {
    await snarkjs.wtns.calculate(input, artifacts.wasm, wtns);
  } catch (err) {
    throw new WitnessError(`the circuit refuses these inputs: ${(err as Error).message.replace(/\s*\n\s*/g, ' | ')}`);
  }
  return wtns.data!;
}

/** Generates a Groth16 proof for `input`: witness, then proof, both timed. */
export async function proveTransfer(artifacts: ProverArtifacts, input: Record<string, unknown>): Promise<ProofResult> {
  const t0 = performance.now();
  const wtns = await calculateWitness(artifacts, input);
  const t1 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove(artifacts.zkey, wtns);
  const t2 = performance.now();
  return { proof, publicSignals, witnessMs: t1 - t0, proveMs: t2 - t1 };
}

/** Checks one proof against a verification key (snarkjs; no G2 subgroup check). */
export async function verifyProof(vkey: unknown, publicSignals: string[], proof: Groth16Proof): Promise<boolean> {
  return snarkjs.groth16.verify(vkey, publicSignals, proof);
}
