// Settlement gas per transfer (DrexSettlement) for each k of BENCH_K (default 1,4,8) and
// batch size of BENCH_SETTLE_SIZES (default 64,256), with real proofs: each k in a process of its own
// (bench/settle-k.ts). The last line's `rows` hold, per (k, batch), gas per settled transfer (`total`,
// `verification`, `storage`, `calldata`, `rest`; `rest` includes the 21,000 intrinsic gas) and the cost
// moved to provers (`constraints_per_transfer`, `prove_ms_per_transfer`, of the bench's build).
// `npm run bench -- settle`.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { note } from './stats.ts';

const KS = (process.env.BENCH_K ?? '1,4,8').split(',').map(Number).filter((k) => k > 0);
/** The targets: gas per settled transfer, and the storage part of it. */
const TARGET = { total: 10_000, storage: 1_000 };

interface Row {
  k: number;
  batch: number;
  total: number;
  storage: number;
  [key: string]: number;
}

interface SettleK {
  k: number;
  depth: number;
  null_depth: number;
  constraints: number;
  power: number;
  rows: Row[];
}

/** Runs bench/settle-k.ts for k in a child process; its last stdout line is its JSON result. */
function settleK(k: number): SettleK {
  const runner = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run-bench.js');
  const out = execFileSync(process.execPath, [runner, 'settle-k', String(k)], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(out.toString().trim().split('\n').at(-1)!) as SettleK;
}

const runs = KS.map((k) => {
  note(`settlement with k = ${k}`);
  return settleK(k);
});
const rows = runs.flatMap((r) => r.rows).sort((a, b) => a.k - b.k || a.batch - b.batch);
const meets = rows.filter((r) => r.total <= TARGET.total && r.storage <= TARGET.storage).map((r) => ({ k: r.k, batch: r.batch }));

console.log(
  JSON.stringify({
    bench: 'settle',
    chain: 'embedded EDR (hardhat 3), zero base fee',
    builds: runs.map((r) => ({ k: r.k, depth: r.depth, null_depth: r.null_depth, constraints: r.constraints, power: r.power })),
    target: TARGET,
    meets_target: meets,
    rows,
  }),
);
