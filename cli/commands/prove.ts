import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { DEFAULT_DEPTH } from '../../circuits/build/compile.ts';
import { buildSample } from '../../circuits/sample/sample-transfer.ts';
import { calculateWitness, loadProverArtifacts, proveTransfer, verifyProof } from '../../worker/prover/groth16-prover.ts';
import { readFileSync } from 'node:fs';
import { parseDepth } from './setup.ts';

/** `drex-swarm prove --sample --out DIR`: prove a sample transfer locally and write snarkjs files. */
export function proveCommand(): Command {
  return new Command('prove')
    .description('prove a transfer locally and write proof.json, public.json, verification_key.json, circuit.r1cs, witness.wtns')
    .requiredOption('--sample', 'prove a valid sample transfer between dev accounts')
    .requiredOption('--out <dir>', 'output folder')
    .option('--depth <n>', 'note-tree depth', parseDepth, DEFAULT_DEPTH)
    .action(async (opts: { out: string; depth: number }) => {
      const progress = stderrProgress('prove');
      const artifacts = await ensureArtifacts({ depth: opts.depth, progress });
      const sample = await buildSample(opts.depth);
      const prover = loadProverArtifacts(artifacts);
      const out = resolve(opts.out);
      mkdirSync(out, { recursive: true });
      progress.step('proving sample transfer (alice -> bob, 250.00)');
      const result = await proveTransfer(prover, sample.transfer.input);
      const wtns = await calculateWitness(prover, sample.transfer.input);
      const vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as unknown;
      writeFileSync(join(out, 'proof.json'), JSON.stringify(result.proof, null, 1));
      writeFileSync(join(out, 'public.json'), JSON.stringify(result.publicSignals, null, 1));
      writeFileSync(join(out, 'verification_key.json'), JSON.stringify(vkey, null, 1));
      writeFileSync(join(out, 'witness.wtns'), wtns);
      copyFileSync(artifacts.r1cs, join(out, 'circuit.r1cs'));
      const ok = await verifyProof(vkey, result.publicSignals, result.proof);
      if (!ok) throw Object.assign(new Error('the sample proof does not verify'), { code: 'PROOF_INVALID' });
      process.stdout.write(
        `${JSON.stringify({
          out,
          verified: ok,
          constraints: artifacts.manifest.constraints,
          witness_ms: Math.round(result.witnessMs),
          prove_ms: Math.round(result.proveMs),
          root_before: String(sample.transfer.public.rootBefore),
          root_after: String(sample.transfer.public.rootAfter),
        })}\n`,
      );
    });
}
