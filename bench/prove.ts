// Local proving on the default circuit (the sample payment): witness and Groth16 prove times in one warm
// process, and the snarkjs CLI on the same input; then the k-transfer circuit for each k of BENCH_K (default 1,4,8), each in a process of its own
// (bench/prove-k.ts: constraints, witness and prove time, peak memory, witness audit) as `k_rows`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { buildSample } from '../circuits/sample/sample-transfer.ts';
import { calculateWitness, loadProverArtifacts, proveTransfer, verifyProof } from '../worker/prover/groth16-prover.ts';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { median, note, peakRssMb, round } from './stats.ts';

const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7));
const CLI_RUNS = Math.max(3, Number(process.env.BENCH_CLI_RUNS ?? 3));
const KS = (process.env.BENCH_K ?? '1,4,8').split(',').map(Number).filter((k) => k > 0);

/** Runs bench/prove-k.ts for k in a child process; its last stdout line is its JSON row. */
function proveK(k: number): Record<string, unknown> {
  const runner = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run-bench.js');
  const out = execFileSync(process.execPath, [runner, 'prove-k', String(k)], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(out.toString().trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const artifacts = await ensureArtifacts({ progress: stderrProgress('bench') });
const m = artifacts.manifest;
const sample = await buildSample({ circuit: 'transfer-batch', k: m.k, depth: m.depth, nullDepth: m.nullDepth });
const prover = loadProverArtifacts(artifacts);
const vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as unknown;

note('warm-up proof');
const warm = await proveTransfer(prover, sample.proof.input);
const witness: number[] = [];
const prove: number[] = [];
const verify: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await proveTransfer(prover, sample.proof.input);
  witness.push(r.witnessMs);
  prove.push(r.proveMs);
  const t = performance.now();
  if (!(await verifyProof(vkey, r.publicSignals, r.proof))) throw new Error('proof did not verify');
  verify.push(performance.now() - t);
  note(`run ${i + 1}/${RUNS}: witness ${round(r.witnessMs)} ms, prove ${round(r.proveMs)} ms`);
}
const peak = peakRssMb();

// The snarkjs CLI on the same witness (a fresh Node process per proof, as a shell user would run it).
const dir = mkdtempSync(join(tmpdir(), 'drex-bench-'));
writeFileSync(join(dir, 'witness.wtns'), await calculateWitness(prover, sample.proof.input));
writeFileSync(join(dir, 'input.json'), JSON.stringify(sample.proof.input));
const cli = join(dirname(createRequire(import.meta.url).resolve('snarkjs')), 'cli.cjs');
const cliProve: number[] = [];
const cliFull: number[] = [];
for (let i = 0; i < CLI_RUNS; i++) {
  let t = performance.now();
  execFileSync(process.execPath, [cli, 'groth16', 'prove', artifacts.zkey, join(dir, 'witness.wtns'), join(dir, 'p.json'), join(dir, 'pub.json')]);
  cliProve.push(performance.now() - t);
  t = performance.now();
  execFileSync(process.execPath, [cli, 'groth16', 'fullprove', join(dir, 'input.json'), artifacts.wasm, artifacts.zkey, join(dir, 'p2.json'), join(dir, 'pub2.json')]);
  cliFull.push(performance.now() - t);
  note(`cli run ${i + 1}/${CLI_RUNS}: prove ${round(cliProve.at(-1)!)} ms, fullprove ${round(cliFull.at(-1)!)} ms`);
}
await releaseSnarkjs();

const kRows = KS.map((k) => {
  note(`k-transfer circuit, k=${k}`);
  return proveK(k);
});

const proveMs = median(prove);
const cliProveMs = median(cliProve);
console.log(
  JSON.stringify({
    bench: 'prove',
    k: m.k,
    constraints: artifacts.manifest.constraints,
    power: artifacts.manifest.power,
    runs: RUNS,
    witness_ms: round(median(witness)),
    prove_ms: round(proveMs),
    verify_ms: round(median(verify)),
    peak_rss_mb: peak,
    cli_prove_ms: round(cliProveMs),
    cli_fullprove_ms: round(median(cliFull)),
    cli_over_inprocess: round(cliProveMs / proveMs, 2),
    first_proof_ms: round(warm.witnessMs + warm.proveMs),
    k_rows: kRows,
  }),
);
