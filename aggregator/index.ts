/**
 * The aggregator's public API: batch verification of Groth16 proofs (one randomized multi-pairing,
 * subgroup checks, bisection), the aggregation tree, and the settlement package.
 */
export {
  verifyBatch,
  verifyBatchOnce,
  verifySingle,
  prepareProof,
  ProofItemError,
  type BatchVerdict,
  type ItemRejection,
  type MalformedItem,
  type ProofItem,
} from './batch-verify.ts';
export { prepareVerificationKey, VerificationKeyError, type PreparedVerificationKey } from './verification-key.ts';
export { PointError, type PointRejection } from './groth16-points.ts';
export {
  aggregationLeaf,
  aggregationNode,
  aggregationProof,
  aggregationRoot,
  verifyAggregationProof,
  AggregationTreeError,
  type AggregationPath,
} from './aggregation-tree.ts';
export {
  buildSettlementPackage,
  SettlementPackageError,
  type BuildSettlementPackageArgs,
  type SettlementPackage,
  type SettlementPackageErrorCode,
} from './settlement-package.ts';
export { parseSettlementPackage, serializeSettlementPackage, settlementPackageToJson, type SettlementPackageJson } from './settlement-package-json.ts';
