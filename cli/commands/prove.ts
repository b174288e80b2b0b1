import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { DEFAULT_CIRCUIT, type CircuitSpec } from '../../circuits/build/compile.ts';
import { buildSample } from '../../circuits/sample/sample-transfer.ts';
import { calculateWitness, loadProverArtifacts, proveTransfer, verifyProof } from '../../worker/prover/groth16-prover.ts';
import { parseDepth, parseK } from './setup.ts';

/** `drex-swarm prove --sample --out DIR`: prove a sample transfer locally and write snarkjs files. */
export function proveCommand(): Command {
  return new Command('prove')
    .description('prove a transfer locally and write proof.json, public.json, verification_key.json, circuit.r1cs, witness.wtns')
    .requiredOption('--sample', 'prove a valid sample transfer between dev accounts')
    .requiredOption('--out <dir>', 'output folder')
    .option('--k <n>', 'transfers per proof of the circuit (the sample fills one slot)', parseK, DEFAULT_CIRCUIT.k)
    .option('--depth <n>', 'note-tree depth', parseDepth, DEFAULT_CIRCUIT.depth)
    .option('--null-depth <n>', 'nullifier-set depth', parseDepth, DEFAULT_CIRCUIT.nullDepth)
    .action(async (opts: { out: string; k: number; depth: number; nullDepth: number }) => {
      const progress = stderrProgress('prove');
      const spec: CircuitSpec = { circuit: 'transfer-batch', k: opts.k, depth: opts.depth, nullDepth: opts.nullDepth };
      const artifacts = await ensureArtifacts({ circuit: spec, progress });
      const sample = await buildSample(spec);
      const prover = loadProverArtifacts(artifacts);
      const out = resolve(opts.out);
      mkdirSync(out, { recursive: true });
      progress.step('proving sample transfer (alice -> bob, 250.00)');
      const result = await proveTransfer(prover, sample.proof.input);
      const wtns = await calculateWitness(prover, sample.proof.input);
      const vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as unknown;
      writeFileSync(join(out, 'proof.json'), JSON.stringify(result.proof, null, 1));
      writeFileSync(join(out, 'public.json'), JSON.stringify(result.publicSignals, null, 1));
      writeFileSync(join(out, 'verification_key.json'), JSON.stringify(vkey, null, 1));
      writeFileSync(join(out, 'witness.wtns'), wtns);
      copyFileSync(artifacts.r1cs, join(out, 'circuit.r1cs'));
      const ok = await verifyProof(vkey, result.publicSignals, result.proof);
      if (!ok) throw Object.assign(new Error('the sample proof does not verify'), { code: 'PROOF_INVALID' });
      const pub = sample.proof.public;
      process.stdout.write(
        `${JSON.stringify({
          out,
          verified: ok,
          k: spec.k,
          constraints: artifacts.manifest.constraints,
          witness_ms: Math.round(result.witnessMs),
          prove_ms: Math.round(result.proveMs),
          note_root_before: String(pub.noteRootBefore),
          note_root_after: String(pub.noteRootAfter),
          note_index: Number(pub.noteIndex),
          null_root_before: String(pub.nullRootBefore),
          null_root_after: String(pub.nullRootAfter),
          transfers: Number(pub.transfers),
          domain: String(pub.domain),
        })}\n`,
      );
    });
}
