// Version 1 settlement gas (DrexSettlement, one transfer per proof) on the embedded EVM: per transfer, with
// the batch verifier (one pairing call) and with the snarkjs verifier per proof, for batches of 1, 16 and 64
// real proofs; parts: verification, storage, calldata, intrinsic, rest. Plus the off-chain batch-verify
// speedup. The baseline version 2 is compared with: `npm run bench -- settle-v1` (BENCH_SETTLE_SIZES=1,16).
import { readFileSync } from 'node:fs';
import { encodeFunctionData, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import * as snarkjs from 'snarkjs';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { funded } from '../circuits/model/test-fixtures.ts';
import { planTransfers } from '../circuits/model/plan-transfers.ts';
import { publicSignalsOf } from '../circuits/model/transfer-witness.ts';
import { fromSolidityProof, toSolidityProof, type SolidityProof } from '../protocol/groth16-encoding.ts';
import { loadProverArtifacts, proveTransfer } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { compileContracts } from '../ledger-bridge/build/compile-contracts.ts';
import { createChainClient, type ChainClient } from '../ledger-bridge/chain/chain-client.ts';
import { deploySettlement, type SettlementAddresses } from '../ledger-bridge/chain/deploy-settlement.ts';
import { startEmbeddedChain } from '../ledger-bridge/chain/embedded-chain.ts';
import { settleBatch, type TransferPublicInputs, type VerificationMode } from '../ledger-bridge/chain/settle-batch.ts';
import { batchVerifierAbi, groth16VerifierAbi } from '../ledger-bridge/chain/settlement-abi.ts';
import { transferCycle } from '../ledger-bridge/test-support/transfer-cycle.ts';
import { calldataGas, INTRINSIC } from './gas.ts';
import { median, note, round } from './stats.ts';

const SIZES = (process.env.BENCH_SETTLE_SIZES ?? '1,16,64').split(',').map(Number).filter((n) => n > 0);
const MAX = Math.max(...SIZES);
/** A new nullifier or intent slot: cold SLOAD (2,100) + SSTORE zero -> nonzero (20,000). */
const NEW_SLOT = 22_100;
/** Per transfer: 2 nullifiers + 1 intent nullifier. Per batch: the batch record (2 new slots) + the root (cold read + nonzero rewrite 2,900). */
const STORAGE_PER_TRANSFER = 3 * NEW_SLOT;
const STORAGE_PER_BATCH = 2 * NEW_SLOT + 2_100 + 2_900;

const artifacts = await ensureArtifacts({ progress: stderrProgress('bench') });
const contracts = await compileContracts({ artifacts, onProgress: note });
const chain = await startEmbeddedChain();
const client: ChainClient = createChainClient({ url: chain.url, privateKey: chain.accounts[0]!, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 50 });
const admin = privateKeyToAccount(chain.adminKey).address;
note(`embedded chain at ${chain.url}; contracts ${contracts.key} (evmVersion ${contracts.evmVersion})`);

// Prove MAX transfers once; batches of n are their prefixes (the root chain starts at roots[0]).
const f = await funded();
const plan = planTransfers(f.crypto, f.state, f.policy, transferCycle(f, MAX));
const prover = loadProverArtifacts(artifacts);
const proofs: SolidityProof[] = [];
const inputs: TransferPublicInputs[] = [];
const proveMs: number[] = [];
for (const [i, t] of plan.transfers.entries()) {
  const r = await proveTransfer(prover, t.input);
  proveMs.push(r.witnessMs + r.proveMs);
  proofs.push(toSolidityProof(r.proof));
  inputs.push(publicSignalsOf(t.public).map(BigInt) as unknown as TransferPublicInputs);
  if ((i + 1) % 8 === 0 || i + 1 === MAX) note(`proved ${i + 1}/${MAX} (median ${round(median(proveMs))} ms)`);
}

const base = await deploySettlement(client, { contracts, initialRoot: plan.roots[0]!, minterId: f.policy.minter, complianceLimit: f.policy.complianceLimit, admin });
const verifiers: Pick<SettlementAddresses, 'Groth16Verifier' | 'BatchVerifier'> = base;

async function callGas(to: Hex, data: Hex): Promise<number> {
  const g = await client.public.estimateGas({ account: client.account, to, data });
  return Number(g) - INTRINSIC - calldataGas(data);
}

/** Execution gas of verifying the first n proofs, measured on the verifier contracts alone. */
async function verificationGas(n: number, mode: VerificationMode): Promise<number> {
  if (mode === 'batch') {
    const data = encodeFunctionData({ abi: batchVerifierAbi, functionName: 'verify', args: [proofs.slice(0, n), inputs.slice(0, n)] });
    return callGas(verifiers.BatchVerifier, data);
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = proofs[i]!;
    const data = encodeFunctionData({
      abi: groth16VerifierAbi,
      functionName: 'verifyProof',
      args: [[p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], inputs[i]!],
    });
    sum += await callGas(verifiers.Groth16Verifier, data);
  }
  return sum;
}

interface GasParts {
  total_gas: number;
  per_transfer: { total: number; verification: number; storage: number; calldata: number; intrinsic: number; rest: number };
}

async function measure(n: number, mode: VerificationMode): Promise<GasParts> {
  const addrs = await deploySettlement(client, { contracts, initialRoot: plan.roots[0]!, minterId: f.policy.minter, complianceLimit: f.policy.complianceLimit, admin, verifiers });
  const r = await settleBatch(client, {
    address: addrs.DrexSettlement,
    batchId: toHex(`bench:${mode}:${n}`, { size: 32 }),
    proofs: proofs.slice(0, n),
    publicInputs: inputs.slice(0, n),
    mode,
  });
  if (r.rootAfter !== plan.roots[n]) throw new Error(`settled root ${r.rootAfter} is not the planner's root ${plan.roots[n]}`);
  const tx = await client.public.getTransaction({ hash: r.txHash });
  const total = Number(r.gasUsed);
  const calldata = calldataGas(tx.input);
  const verification = await verificationGas(n, mode);
  const storage = n * STORAGE_PER_TRANSFER + STORAGE_PER_BATCH;
  const rest = total - INTRINSIC - calldata - verification - storage;
  const per = (x: number) => Math.round(x / n);
  note(`n=${n} ${mode}: ${total} gas (${per(total)}/transfer; verification ${per(verification)}, storage ${per(storage)}, calldata ${per(calldata)}, rest ${per(rest)})`);
  return {
    total_gas: total,
    per_transfer: { total: per(total), verification: per(verification), storage: per(storage), calldata: per(calldata), intrinsic: per(INTRINSIC), rest: per(rest) },
  };
}

const sizes: Record<string, { batch: GasParts; per_proof: GasParts; total_gas_ratio_batch_over_per_proof: number }> = {};
for (const n of SIZES) {
  const batch = await measure(n, 'batch');
  const perProof = await measure(n, 'per-proof');
  sizes[String(n)] = { batch, per_proof: perProof, total_gas_ratio_batch_over_per_proof: round(batch.total_gas / perProof.total_gas, 3) };
}

// Optional cross-checks with the aggregator's code (written in parallel; skipped when absent).
let offchain: Record<string, { batch_ms: number; separate_ms: number; speedup: number }> | null = null;
let aggregatorRootMatches: boolean | null = null;
const items = proofs.map((p, i) => ({ proof: fromSolidityProof(p), publicSignals: inputs[i]!.map(String) }));
try {
  const bv = (await import('../aggregator/batch-verify.ts' as string)) as { verifyBatchOnce(vk: unknown, items: unknown[]): Promise<boolean> };
  const vkm = (await import('../aggregator/verification-key.ts' as string)) as { prepareVerificationKey(json: unknown): Promise<unknown> };
  const vkeyJson = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as unknown;
  const vk = await vkm.prepareVerificationKey(vkeyJson);
  offchain = {};
  for (const n of [16, 64].filter((n) => n <= MAX)) {
    const batch = items.slice(0, n);
    await bv.verifyBatchOnce(vk, batch.slice(0, 2)); // warm-up
    const runs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      if (!(await bv.verifyBatchOnce(vk, batch))) throw new Error(`off-chain batch verification of ${n} proofs failed`);
      runs.push(performance.now() - t);
    }
    const t = performance.now();
    for (const it of batch) if (!(await snarkjs.groth16.verify(vkeyJson, it.publicSignals as string[], it.proof as never))) throw new Error('proof failed');
    const separate = performance.now() - t;
    offchain[String(n)] = { batch_ms: round(median(runs)), separate_ms: round(separate), speedup: round(separate / median(runs), 2) };
    note(`off-chain n=${n}: batch ${round(median(runs))} ms vs separate ${round(separate)} ms`);
  }
} catch (err) {
  note(`off-chain batch verify skipped: ${(err as Error).message.split('\n')[0]}`);
  offchain = null;
}
try {
  const tree = (await import('../aggregator/aggregation-tree.ts' as string)) as { aggregationRoot(items: unknown[]): Hex };
  const r = await settleBatch(client, {
    address: (await deploySettlement(client, { contracts, initialRoot: plan.roots[0]!, minterId: f.policy.minter, complianceLimit: f.policy.complianceLimit, admin, verifiers })).DrexSettlement,
    batchId: toHex('bench:aggregation-root', { size: 32 }),
    proofs: proofs.slice(0, 3),
    publicInputs: inputs.slice(0, 3),
  });
  aggregatorRootMatches = tree.aggregationRoot(items.slice(0, 3)) === r.aggregationRoot;
} catch (err) {
  note(`aggregation-root cross-check skipped: ${(err as Error).message.split('\n')[0]}`);
}

await releaseSnarkjs();
await chain.stop();

const at = sizes[String(MAX)]!;
console.log(
  JSON.stringify({
    bench: 'settle',
    chain: 'embedded EDR (hardhat 3), zero base fee',
    evm_version: contracts.evmVersion,
    solc: contracts.solcVersion,
    transfers_proved: MAX,
    prove_ms_median: round(median(proveMs)),
    storage_model: { per_transfer: STORAGE_PER_TRANSFER, per_batch: STORAGE_PER_BATCH },
    sizes,
    [`gas_per_transfer_batch_${MAX}`]: at.batch.per_transfer.total,
    [`gas_per_transfer_per_proof_${MAX}`]: at.per_proof.per_transfer.total,
    [`verification_gas_per_transfer_ratio_batched_over_per_proof_${MAX}`]: round(at.batch.per_transfer.verification / at.per_proof.per_transfer.verification, 3),
    offchain_batch_verify: offchain,
    aggregation_root_matches_aggregator: aggregatorRootMatches,
  }),
);
