import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof } from 'snarkjs';
import { WitnessError } from '../../prover/errors.ts';
import { calculateWtns } from '../../prover/witness-stage.ts';

export { WitnessError };

export type { Groth16Proof };

/** A proof with the public signals it proves, as snarkjs writes them. */
export interface ProofResult {
  proof: Groth16Proof;
  publicSignals: string[];
  witnessMs: number;
  proveMs: number;
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

/** Computes the witness of `input` into memory (a snarkjs .wtns byte string); WitnessError when the circuit refuses it. */
export function calculateWitness(artifacts: Pick<ProverArtifacts, 'wasm'>, input: Record<string, unknown>): Promise<Uint8Array> {
  return calculateWtns(artifacts.wasm, input);
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
