/**
 * The staged Groth16 prover over snarkjs's file formats (BN254):
 *
 *   readProvingKey(zkey)                      a .zkey in memory -> ProvingKey
 *   witnessStage(pk, wasm, input)             witness + quotient scalars, public signals    (trusted)
 *   splitMsmScalars / splitScalars            two additive shares mod r, share0 from a seed (trusted)
 *   msmStage(pk, scalars, backend?)           the five MSMs, linear in the scalars         (any worker)
 *   encodeMsmPoints / decodeMsmPoints         the points in transport, validated on entry
 *   addMsmPoints(a, b)                        two halves' points -> the whole's
 *   combineProof(pk, points, publicSignals)   snarkjs's formulas with fresh r, s -> proof
 *   proveStaged(pk, wasm, input)              all of it in one process
 *
 * The FFTs and WASM MSMs run on snarkjs's shared thread pool; `releaseProverCurve()` ends it. Nothing
 * here talks to the network.
 */
export { readProvingKey, type ProvingKey, type ProvingKeySections } from './proving-key.ts';
export {
  witnessStage,
  scalarsFromWtns,
  calculateWtns,
  publicSignalsOf,
  type MsmScalars,
  type WitnessScalars,
  type WitnessStageResult,
} from './witness-stage.ts';
export { splitScalars, expandShare, splitMsmScalars, expandMsmShare, randomSeed, SEED_BYTES } from './secret-share.ts';
export { msmStage } from './msm-stage.ts';
export { wasmMsmBackend, type MsmBackend } from './msm-backend.ts';
export { combineProof, type Groth16Proof, type ProofWithSignals } from './combine.ts';
export { encodeMsmPoints, decodeMsmPoints, addMsmPoints, type EncodedMsmPoints, type EncodedG1, type EncodedG2 } from './msm-points.ts';
export { proveStaged, type StagedProveResult, type StageTimings } from './staged-prover.ts';
export type { MsmPoints, G1Affine, G2Affine, Fp2 } from './affine-points.ts';
export { releaseProverCurve } from './curve.ts';
export { ProvingKeyError, WitnessError, ScalarVectorError, MsmPointsError, type MsmPointsRejection } from './errors.ts';
