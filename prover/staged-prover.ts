/**
 * The whole staged prove in one process: witness stage, MSM stage, combine. Its proof is the one
 * snarkjs's `groth16.fullProve` makes (same formulas, fresh randomness), with each stage timed.
 */
import { combineProof, type ProofWithSignals } from './combine.ts';
import { msmStage } from './msm-stage.ts';
import type { MsmBackend } from './msm-backend.ts';
import type { ProvingKey } from './proving-key.ts';
import { witnessStage } from './witness-stage.ts';

/** Milliseconds spent in each stage of a staged prove. */
export interface StageTimings {
  witnessMs: number;
  quotientMs: number;
  msmMs: number;
  combineMs: number;
  totalMs: number;
}

/** A staged prove's proof and public signals, with its timings. */
export interface StagedProveResult extends ProofWithSignals {
  timings: StageTimings;
}

/** Proves `input` with the circuit's witness calculator `wasm` and the proving key `pk`, the MSMs on `backend` (default WASM). */
export async function proveStaged(pk: ProvingKey, wasm: Uint8Array, input: Record<string, unknown>, backend?: MsmBackend): Promise<StagedProveResult> {
  const t0 = performance.now();
  const w = await witnessStage(pk, wasm, input);
  const t1 = performance.now();
  const points = await msmStage(pk, w, backend);
  const t2 = performance.now();
  const { proof, publicSignals } = await combineProof(pk, points, w.publicSignals);
  const t3 = performance.now();
  return {
    proof,
    publicSignals,
    timings: { ...w.timings, msmMs: t2 - t1, combineMs: t3 - t2, totalMs: t3 - t0 },
  };
}
