// Settlement gas of DrexSettlement (k transfers per proof) for ONE k, with real proofs on
// the embedded EVM: a funded ledger, then MAX transfers planned in proofs of k and proved; each batch size
// n (a multiple of k) settles the first n / k proofs from the same chain state (evm_snapshot /
// evm_revert), in one transaction verified with one pairing call. Per settled transfer: total, proof
// verification (the call to the batch verifier), storage (SLOAD, SSTORE), calldata and the rest
// (intrinsic gas, the checks, the aggregation root), from the transaction's trace.
// `npm run bench -- settle-k K` (BENCH_SETTLE_SIZES, BENCH_SETTLE_DEPTH, BENCH_SETTLE_NULL_DEPTH);
// `npm run bench -- settle` runs it for each k.
//
// Gas does not depend on the tree depths (they are not public), so the default build is a small one
// (depth 10, nullifier-set depth 11: room for 256 transfers); constraints and prove time are the
// build's, and `bench -- prove` gives them at the production depths.
import { encodeFunctionData, getContractAddress, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { planBatches, type PlanItem } from '../circuits/model/plan-batches.ts';
import { batchPublicSignals } from '../circuits/model/batch-witness.ts';
import { fundedLedger, type FundedLedger } from '../circuits/model/test-fixtures.ts';
import { toSolidityProof, type SolidityProof } from '../protocol/groth16-encoding.ts';
import { loadProverArtifacts, proveTransfer } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { compileContracts } from '../ledger-bridge/build/compile-contracts.ts';
import { createChainClient } from '../ledger-bridge/chain/chain-client.ts';
import { deployContract, deploySettlement, ledgerStateAt, settlementDomain } from '../ledger-bridge/chain/deploy-settlement.ts';
import { startEmbeddedChain } from '../ledger-bridge/chain/embedded-chain.ts';
import { sendTransaction } from '../ledger-bridge/chain/send-transaction.ts';
import { drexSettlementAbi } from '../ledger-bridge/chain/settlement-abi.ts';
import { calldataGas, INTRINSIC } from './gas.ts';
import { median, note, round } from './stats.ts';

const k = Number(process.argv[2] ?? 8);
const SIZES = (process.env.BENCH_SETTLE_SIZES ?? '64,256').split(',').map(Number).filter((n) => n > 0);
const depth = Number(process.env.BENCH_SETTLE_DEPTH ?? 10);
const nullDepth = Number(process.env.BENCH_SETTLE_NULL_DEPTH ?? depth + 1);
const MAX = Math.max(...SIZES);
for (const n of SIZES) if (n % k !== 0) throw new RangeError(`batch size ${n} is not a multiple of k = ${k}`);

const shape = { k, depth, nullDepth };
const artifacts = await ensureArtifacts({ circuit: { circuit: 'transfer-batch', ...shape }, progress: stderrProgress(`k=${k}`) });
const contracts = await compileContracts({ artifacts, onProgress: note });
const chain = await startEmbeddedChain();
const client = createChainClient({ url: chain.url, privateKey: chain.accounts[0]!, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 50 });
const deployer = client.account.address;

// The intents sign the settlement contract's domain (chain id and address), so the address is fixed
// first: the verifiers, then the settlement at the deployer's next nonce.
const verifiers = {
  Groth16Verifier: (await deployContract(client, 'Groth16Verifier', contracts.contracts.Groth16Verifier)).address,
  BatchVerifier: (await deployContract(client, 'BatchVerifier', contracts.contracts.BatchVerifier)).address,
};
const nonce = await client.public.getTransactionCount({ address: deployer, blockTag: 'pending' });
const domain = settlementDomain(chain.chainId, getContractAddress({ from: deployer, nonce: BigInt(nonce) }));
// Funded without proofs: the contract is deployed at the funded ledger (alice 1300, bob 500).
const f: FundedLedger = await fundedLedger(shape, { domain });
const addrs = await deploySettlement(client, {
  contracts,
  initial: ledgerStateAt(f.ledger.point, 1800n),
  transfersPerProof: k,
  minterId: f.policy.minter,
  complianceLimit: f.policy.complianceLimit,
  admin: privateKeyToAccount(chain.adminKey).address,
  verifiers,
});
const settlement = addrs.DrexSettlement;
const onChainDomain = await client.public.readContract({ address: settlement, abi: drexSettlementAbi, functionName: 'domain' });
if (onChainDomain !== domain) throw new Error(`the deployed domain ${onChainDomain} is not the predicted ${domain}`);

// MAX transfers, each of 1 unit, round robin alice -> bob -> carol -> alice: every one spends a note.
const people = [f.alice, f.bob, f.carol];
const items: PlanItem[] = Array.from({ length: MAX }, (_, i) => ({ signed: f.intent(people[i % 3]!, people[(i + 1) % 3]!.owner, 1n) }));
const plan = planBatches(f.crypto, f.ledger, f.params, items);
note(`k=${k}: ${MAX} transfers in ${plan.proofs.length} proofs (${artifacts.manifest.constraints} constraints each)`);

const prover = loadProverArtifacts(artifacts);
const proofs: SolidityProof[] = [];
const inputs: bigint[][] = [];
const proveMs: number[] = [];
for (const [i, p] of plan.proofs.entries()) {
  const r = await proveTransfer(prover, p.input as Record<string, unknown>);
  const expected = batchPublicSignals(p.public);
  if (r.publicSignals.join() !== expected.join()) throw new Error(`proof ${i}: public signals differ from the plan`);
  proofs.push(toSolidityProof(r.proof));
  inputs.push(expected.map(BigInt));
  proveMs.push(r.witnessMs + r.proveMs);
  if ((i + 1) % 8 === 0 || i + 1 === plan.proofs.length) note(`k=${k}: proved ${i + 1}/${plan.proofs.length} (median ${round(median(proveMs))} ms)`);
}
await releaseSnarkjs();

interface TraceStep {
  op: string;
  depth: number;
  gas: number;
  gasCost: number;
  stack?: string[];
}

/**
 * From a settlement's trace: the gas of its storage opcodes (SLOAD, SSTORE) and its SSTORE count, and the
 * gas its call to the batch verifier took (all of it: the call's own cost and everything the verifier
 * and the precompiles used), measured as the settlement's gas left before the call less after it.
 */
async function traceGas(hash: Hex): Promise<{ storage: number; sstores: number; verification: number }> {
  const trace = (await chain.provider.request({ method: 'debug_traceTransaction', params: [hash, { disableStorage: true, disableMemory: true }] })) as {
    structLogs: TraceStep[];
  };
  const steps = trace.structLogs;
  let storage = 0;
  let sstores = 0;
  let verification = 0;
  let calls = 0;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.depth !== 1) continue;
    if (s.op === 'SSTORE') sstores++;
    if (s.op === 'SSTORE' || s.op === 'SLOAD') storage += Number(s.gasCost);
    if (s.op === 'STATICCALL' || s.op === 'CALL') {
      const to = BigInt(`0x${s.stack!.at(-2)!.replace(/^0x/, '')}`);
      if (to !== BigInt(verifiers.BatchVerifier)) throw new Error(`the settlement called ${to.toString(16)}, not the batch verifier`);
      const after = steps.slice(i + 1).find((x) => x.depth === 1);
      if (!after) throw new Error('the trace ends inside the verifier call');
      verification += Number(s.gas) - Number(after.gas);
      calls++;
    }
  }
  if (calls !== 1) throw new Error(`expected one call to the batch verifier, found ${calls}`);
  return { storage, sstores, verification };
}

const constraints = artifacts.manifest.constraints;
const rows = [];
for (const n of SIZES) {
  const ps = proofs.slice(0, n / k);
  const xs = inputs.slice(0, n / k);
  const snapshot = (await chain.provider.request({ method: 'evm_snapshot', params: [] })) as Hex;
  const data = encodeFunctionData({ abi: drexSettlementAbi, functionName: 'settleBatch', args: [toHex(`bench:k${k}:n${n}`, { size: 32 }), ps, xs as never] });
  const { hash, receipt } = await sendTransaction(client, { to: settlement, data, abi: drexSettlementAbi, what: `settle ${n} transfers (k=${k})` });
  if (receipt.status !== 'success') throw new Error(`settling ${n} transfers reverted`);
  const root = await client.public.readContract({ address: settlement, abi: drexSettlementAbi, functionName: 'noteRoot' });
  if (root !== plan.points[n / k]!.noteRoot) throw new Error(`settled note root ${root} is not the planner's ${plan.points[n / k]!.noteRoot}`);
  const total = Number(receipt.gasUsed);
  const calldata = calldataGas(data);
  const { storage, sstores, verification } = await traceGas(hash);
  if (!(await chain.provider.request({ method: 'evm_revert', params: [snapshot] }))) throw new Error('evm_revert failed');
  const per = (x: number) => Math.round(x / n);
  const row = {
    k,
    batch: n,
    total: per(total),
    verification: per(verification),
    storage: per(storage),
    calldata: per(calldata),
    rest: per(total - verification - storage - calldata),
    constraints_per_transfer: Math.round(constraints / k),
    prove_ms_per_transfer: round(median(proveMs) / k),
    proofs: n / k,
    total_gas: total,
    sstores,
  };
  note(`k=${k} n=${n}: ${JSON.stringify(row)}`);
  rows.push(row);
}
await chain.stop();

console.log(
  JSON.stringify({
    bench: 'settle-k',
    k,
    depth,
    null_depth: nullDepth,
    constraints,
    power: artifacts.manifest.power,
    intrinsic_in_rest: INTRINSIC,
    rows,
  }),
);
