import { Command } from 'commander';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { buildSample } from '../../circuits/sample/sample-transfer.ts';
import { loadProverArtifacts, proveTransfer, verifyProof } from '../../worker/prover/groth16-prover.ts';
import { readFileSync } from 'node:fs';

/** `drex-swarm demo`: the end-to-end demo on embedded defaults. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('run the end-to-end demo on embedded defaults')
    .action(async () => {
      const progress = stderrProgress('demo');
      const artifacts = await ensureArtifacts({ progress });
      const sample = await buildSample();
      const prover = loadProverArtifacts(artifacts);
      const vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as unknown;
      for (const t of sample.plan.transfers) {
        const r = await proveTransfer(prover, t.input);
        const ok = await verifyProof(vkey, r.publicSignals, r.proof);
        process.stdout.write(
          `transfer #${t.index}: proved in ${Math.round(r.witnessMs + r.proveMs)} ms, verified=${ok}, root ${String(t.public.rootBefore).slice(0, 10)}.. -> ${String(t.public.rootAfter).slice(0, 10)}..\n`,
        );
        if (!ok) throw new Error(`transfer #${t.index} did not verify`);
      }
    });
}
