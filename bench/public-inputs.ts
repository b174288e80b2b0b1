// Should the 11 public inputs of the k-transfer circuit be hashed into one? Both sides, measured:
// - the constraints a hash of the 11 values costs in the circuit (SHA-256, which the EVM has as a
//   precompile, and Poseidon, cheap in circuits), each compiled here with circom2;
// - the gas it would save: the batch verifier's work per public input (one ecMul and one ecAdd per batch,
//   measured by zeroing inputs in a real verification; one accumulation step per proof, measured in its
//   trace), less what the chain would pay to compute the
//   hash per proof (the SHA-256 precompile; a Poseidon contract from circomlibjs). Calldata does not
//   change: the chain still needs every value to check it.
// `npm run bench -- public-inputs` (uses the k = 2, depth 8 build of the tests for two real proofs).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFunctionData, toHex, type Hex } from 'viem';
import { poseidonContract } from 'circomlibjs';
import { compileInto } from '../circuits/build/compile.ts';
import { readR1csHeader } from '../circuits/ceremony/r1cs-file.ts';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { planBatches } from '../circuits/model/plan-batches.ts';
import { batchPublicSignals } from '../circuits/model/batch-witness.ts';
import { fundedLedger } from '../circuits/model/test-fixtures.ts';
import { toSolidityProof, type SolidityProof } from '../protocol/groth16-encoding.ts';
import { loadProverArtifacts, proveTransfer } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { compileContracts } from '../ledger-bridge/build/compile-contracts.ts';
import { createChainClient } from '../ledger-bridge/chain/chain-client.ts';
import { deployContract } from '../ledger-bridge/chain/deploy-settlement.ts';
import { startEmbeddedChain } from '../ledger-bridge/chain/embedded-chain.ts';
import { sendTransaction } from '../ledger-bridge/chain/send-transaction.ts';
import { batchVerifierAbi } from '../ledger-bridge/chain/settlement-abi.ts';
import { calldataGas, INTRINSIC } from './gas.ts';
import { note, round } from './stats.ts';

const N = 11;
const KS = [1, 4, 8];
const BATCHES = [64, 256];

/** Constraints of a circuit whose main template is `body` (compiled in a temporary folder). */
async function constraintsOf(name: string, body: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `drex-bench-${name}-`));
  try {
    writeFileSync(join(dir, 'main.circom'), body);
    const t = performance.now();
    await compileInto(dir);
    note(`${name}: compiled in ${round((performance.now() - t) / 1000)} s`);
    return readR1csHeader(join(dir, 'main.r1cs')).nConstraints;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// SHA-256 of the 11 values as the EVM packs them (32-byte big-endian words), cut to 253 bits (a field element).
const sha256Circuit = `pragma circom 2.1.0;
include "circomlib/circuits/sha256/sha256.circom";
include "circomlib/circuits/bitify.circom";
template HashInputs(n) {
  signal input x[n];
  signal output h;
  component bits[n];
  component sha = Sha256(n * 256);
  for (var i = 0; i < n; i++) {
    bits[i] = Num2Bits_strict();
    bits[i].in <== x[i];
    sha.in[i * 256] <== 0;
    sha.in[i * 256 + 1] <== 0;
    for (var j = 0; j < 254; j++) sha.in[i * 256 + 2 + j] <== bits[i].out[253 - j];
  }
  component num = Bits2Num(253);
  for (var j = 0; j < 253; j++) num.in[j] <== sha.out[255 - j];
  h <== num.out;
}
component main = HashInputs(${N});
`;
// Poseidon over the 11 values as two 6-input hashes: Poseidon(Poseidon(x0..x5), x6..x10).
const poseidonCircuit = `pragma circom 2.1.0;
include "circomlib/circuits/poseidon.circom";
template HashInputs() {
  signal input x[11];
  signal output h;
  component a = Poseidon(6);
  component b = Poseidon(6);
  for (var i = 0; i < 6; i++) a.inputs[i] <== x[i];
  b.inputs[0] <== a.out;
  for (var i = 0; i < 5; i++) b.inputs[i + 1] <== x[6 + i];
  h <== b.out;
}
component main = HashInputs();
`;

const constraints = { sha256: await constraintsOf('sha256', sha256Circuit), poseidon: await constraintsOf('poseidon', poseidonCircuit) };

// Two real proofs of the k = 2 test build, for a batch verifier holding its key.
const shape = { k: 2, depth: 8, nullDepth: 8 };
const artifacts = await ensureArtifacts({ circuit: { circuit: 'transfer-batch', ...shape }, progress: stderrProgress('bench') });
const f = await fundedLedger(shape);
const items = Array.from({ length: 4 }, (_, i) => ({ signed: f.intent(i % 2 ? f.bob : f.alice, i % 2 ? f.alice.owner : f.bob.owner, 5n) }));
const plan = planBatches(f.crypto, f.ledger, f.params, items);
const prover = loadProverArtifacts(artifacts);
const proofs: SolidityProof[] = [];
const inputs: bigint[][] = [];
for (const p of plan.proofs) {
  const r = await proveTransfer(prover, p.input as Record<string, unknown>);
  proofs.push(toSolidityProof(r.proof));
  inputs.push(batchPublicSignals(p.public).map(BigInt));
}
await releaseSnarkjs();
note(`proved ${proofs.length} proofs`);

const contracts = await compileContracts({ artifacts, onProgress: note });
const chain = await startEmbeddedChain();
const client = createChainClient({ url: chain.url, privateKey: chain.accounts[0]!, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 50 });
const verifier = (await deployContract(client, 'BatchVerifier', contracts.contracts.BatchVerifier)).address;

/** Execution gas of a transaction (gas used less intrinsic and calldata gas), and its hash. */
async function execution(to: Hex, data: Hex): Promise<{ gas: number; hash: Hex }> {
  const { hash, receipt } = await sendTransaction(client, { to, data, abi: batchVerifierAbi, what: 'bench call', gas: 5_000_000n });
  return { gas: Number(receipt.gasUsed) - INTRINSIC - calldataGas(data), hash };
}
const executionGas = async (to: Hex, data: Hex) => (await execution(to, data)).gas;

/**
 * The gas of one step of the verifier's per-proof accumulation loop (sums[j] += r_i * x_ij): the median
 * gas from one MULMOD to the next in the verification's trace (each step has exactly one).
 */
async function accumulationStepGas(hash: Hex): Promise<number> {
  const trace = (await chain.provider.request({ method: 'debug_traceTransaction', params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }] })) as {
    structLogs: { op: string; gas: number; depth: number }[];
  };
  const at = trace.structLogs.filter((s) => s.depth === 1 && s.op === 'MULMOD').map((s) => Number(s.gas));
  const spans = at.slice(1).map((g, i) => at[i]! - g).sort((a, b) => a - b);
  return spans[spans.length >> 1]!;
}

// The batch verifier skips a public input whose weighted sum over the batch is zero: zeroing inputs 1..10
// of every proof leaves the same work but for their ecMul and ecAdd (the pairing then fails; it still runs).
const verify = (xs: bigint[][]) => encodeFunctionData({ abi: batchVerifierAbi, functionName: 'verify', args: [proofs, xs as never] });
const all = await execution(verifier, verify(inputs));
const one = await executionGas(verifier, verify(inputs.map((x) => x.map((v, j) => (j === 0 ? v : 0n)))));
const perInputPerBatch = (all.gas - one) / (N - 1);
const perInputPerProof = await accumulationStepGas(all.hash);

// What the chain would pay to hash the 11 values of one proof.
const words = toHex(new Uint8Array(N * 32).fill(0xab));
const sha256Gas = await executionGas('0x0000000000000000000000000000000000000002', words);
const poseidon6 = (await deployContract(client, 'Poseidon6', { abi: poseidonContract.generateABI(6), bytecode: poseidonContract.createCode(6) as Hex })).address;
const poseidonCall = encodeFunctionData({
  abi: poseidonContract.generateABI(6),
  functionName: 'poseidon',
  args: [Array.from({ length: 6 }, (_, i) => BigInt(i + 1))],
});
// Two calls per proof, each from a contract: count the call (100 warm) on top of the hash's execution.
const poseidonGas = 2 * ((await executionGas(poseidon6, poseidonCall)) + 100);
await chain.stop();

const rows = KS.flatMap((k) =>
  BATCHES.map((batch) => {
    const saved = ((N - 1) * perInputPerBatch) / batch + ((N - 1) * perInputPerProof) / k;
    return {
      k,
      batch,
      verifier_gas_saved_per_transfer: round(saved),
      sha256: { net_gas_saved_per_transfer: round(saved - sha256Gas / k), constraints_added_per_transfer: Math.round(constraints.sha256 / k) },
      poseidon: { net_gas_saved_per_transfer: round(saved - poseidonGas / k), constraints_added_per_transfer: Math.round(constraints.poseidon / k) },
    };
  }),
);
note(JSON.stringify(rows));

console.log(
  JSON.stringify({
    bench: 'public-inputs',
    public_inputs: N,
    hash_constraints: constraints,
    verifier_gas_per_input_per_batch: round(perInputPerBatch),
    verifier_gas_per_input_per_proof: perInputPerProof,
    chain_hash_gas_per_proof: { sha256: sha256Gas, poseidon: poseidonGas },
    rows,
  }),
);
