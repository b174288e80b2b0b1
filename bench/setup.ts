// The dev setup's time and peak memory: the default transfer circuit, and synthetic circuits that fill domains
// of 2^18 and 2^20. Each size runs in a process of its own, so that its peak memory is its own.
// `npm run bench -- setup [--sizes transfer,18,20] [--threads N]`
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCircuit, DEFAULT_CIRCUIT } from '../circuits/build/compile.ts';
import { devSetup } from '../circuits/ceremony/dev-setup.ts';
import { stderrProgress } from '../circuits/ceremony/progress.ts';
import { writeSyntheticR1cs } from '../circuits/ceremony/synthetic-r1cs.ts';
import { note, option, peakRssMb, round } from './stats.ts';

interface Run {
  circuit: string;
  power: number;
  constraints: number;
  seconds: number;
  peak_memory_mb: number;
}

const threads = Number(option('--threads') ?? availableParallelism());
const one = option('--one');

if (one) {
  // Child: one size, one JSON line.
  const dir = mkdtempSync(join(tmpdir(), 'bench-setup-'));
  try {
    let r1cs: string;
    let circuit: string;
    if (one === 'transfer') {
      const { k, depth, nullDepth } = DEFAULT_CIRCUIT;
      r1cs = (await compileCircuit(DEFAULT_CIRCUIT, stderrProgress('bench'))).r1cs;
      circuit = `transfer-batch (k ${k}, depth ${depth}, nullifier depth ${nullDepth})`;
    } else {
      const power = Number(one);
      r1cs = join(dir, 'synthetic.r1cs');
      // 8 public inputs; the constraints fill the 2^power domain (snarkjs adds one per public signal and the constant)
      writeSyntheticR1cs(r1cs, { constraints: 2 ** power - 64, publicInputs: 8 });
      circuit = 'synthetic';
    }
    const t0 = performance.now();
    const res = await devSetup({ r1cs, zkey: join(dir, 'out.zkey'), threads, progress: stderrProgress('bench') });
    const seconds = (performance.now() - t0) / 1000;
    const run: Run = { circuit, power: res.power, constraints: res.constraints, seconds: round(seconds, 2), peak_memory_mb: peakRssMb() };
    process.stdout.write(`${JSON.stringify(run)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  const sizes = (option('--sizes') ?? 'transfer,18,20').split(',');
  const runner = fileURLToPath(new URL('../bin/run-bench.js', import.meta.url));
  const runs: Run[] = [];
  for (const size of sizes) {
    note(`dev setup: ${size === 'transfer' ? 'transfer circuit' : `synthetic circuit, 2^${size}`} on ${threads} threads`);
    const out = execFileSync(process.execPath, [runner, 'setup', '--one', size, '--threads', String(threads)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    });
    const line = out.trim().split('\n').pop()!;
    runs.push(JSON.parse(line) as Run);
    note(line);
  }
  process.stdout.write(`${JSON.stringify({ threads, runs })}\n`);
}
