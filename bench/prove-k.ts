// One k of the k-transfer circuit (transfer-batch.circom): constraints, build time (compile + dev setup,
// when not cached), witness and prove time of a full proof (k transfers, each spending a note), peak
// memory, and the witness audit (private inputs removed by --O2, private witness values left unpinned).
// `npm run bench -- prove-k K` (BENCH_DEPTH, BENCH_NULL_DEPTH, BENCH_RUNS); `bench -- prove` runs it per k.
import { readFileSync } from 'node:fs';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { readR1cs } from '../circuits/ceremony/r1cs-file.ts';
import { inputSignalNames, mainSignals, unpinnedSignals, witnessValues } from '../circuits/audit/witness-audit.ts';
import { ASSET, fundedLedger } from '../circuits/model/test-fixtures.ts';
import { DEFAULT_CIRCUIT } from '../circuits/build/compile.ts';
import { planBatches } from '../circuits/model/plan-batches.ts';
import { calculateWitness, loadProverArtifacts, proveTransfer, verifyProof } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { median, note, peakRssMb, round } from './stats.ts';

const k = Number(process.argv[2] ?? 1);
const depth = Number(process.env.BENCH_DEPTH ?? DEFAULT_CIRCUIT.depth);
const nullDepth = Number(process.env.BENCH_NULL_DEPTH ?? depth + DEFAULT_CIRCUIT.nullDepth - DEFAULT_CIRCUIT.depth);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 2));

const t0 = performance.now();
const artifacts = await ensureArtifacts({ circuit: { circuit: 'transfer-batch', k, depth, nullDepth }, progress: stderrProgress(`k=${k}`) });
const buildS = (performance.now() - t0) / 1000;

// k notes for alice (untimed deposits), then one proof of k transfers, each spending one of them.
const f = await fundedLedger({ k, depth, nullDepth });
planBatches(f.crypto, f.ledger, f.params, Array.from({ length: k }, () => ({ signed: f.intent(f.minter, f.alice.owner, 50n) })));
const notes = f.ledger.notesOf(f.alice.owner, ASSET).filter((n) => n.amount === 50n);
const plan = planBatches(f.crypto, f.ledger, f.params, notes.map((n) => ({ signed: f.intent(f.alice, f.bob.owner, 20n), spend: [n.commitment] })));
const { input } = plan.proofs[0]!;

const prover = loadProverArtifacts(artifacts);
const vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as unknown;
const witness: number[] = [];
const prove: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await proveTransfer(prover, input);
  if (!(await verifyProof(vkey, r.publicSignals, r.proof))) throw new Error('proof did not verify');
  witness.push(r.witnessMs);
  prove.push(r.proveMs);
  note(`k=${k} run ${i + 1}/${RUNS}: witness ${round(r.witnessMs)} ms, prove ${round(r.proveMs)} ms`);
}
const peak = peakRssMb();

note(`k=${k}: auditing the witness against the R1CS`);
const wtns = await calculateWitness(prover, input);
const values = witnessValues(wtns);
const signals = mainSignals(artifacts.r1cs.replace(/main\.r1cs$/, 'main.sym'));
const removed = inputSignalNames(input).filter((n) => !(signals.get(n)! > 0)).length;
const unpinned = unpinnedSignals(readR1cs(artifacts.r1cs), values).length;
await releaseSnarkjs();

const proveMs = median(prove) + median(witness);
console.log(
  JSON.stringify({
    bench: 'prove-k',
    k,
    depth,
    null_depth: nullDepth,
    constraints: artifacts.manifest.constraints,
    constraints_per_transfer: Math.round(artifacts.manifest.constraints / k),
    power: artifacts.manifest.power,
    build_s: round(buildS),
    witness_ms: round(median(witness)),
    prove_ms: round(median(prove)),
    prove_ms_per_transfer: round(proveMs / k),
    peak_rss_mb: peak,
    private_inputs_removed: removed,
    private_values_unpinned: unpinned,
  }),
);
