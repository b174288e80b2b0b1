import { Command, CommanderError } from 'commander';
import { setupCommand } from './commands/setup.ts';
import { proveCommand } from './commands/prove.ts';
import { demoCommand } from './commands/demo.ts';
import { orchestratorCommand } from './commands/orchestrator.ts';
import { aggregatorCommand } from './commands/aggregator.ts';
import { workerCommand } from './commands/worker.ts';
import { submitCommand } from './commands/submit.ts';
import { statusCommand } from './commands/status.ts';
import { devnetCommand } from './commands/devnet.ts';
import { chaosCommand } from './commands/chaos.ts';
import { admitCommand } from './commands/admit.ts';
import { natsAuthCommand } from './commands/nats-auth.ts';
import { witnessCommand } from './commands/witness.ts';
import { releaseSnarkjs } from '../circuits/snarkjs-runtime.ts';

const program = new Command('drex-swarm')
  .description('Edge-swarm Groth16 proving for Drex private transfers')
  .version('0.1.0')
  .showHelpAfterError();

for (const c of [setupCommand, proveCommand, demoCommand, devnetCommand, orchestratorCommand, witnessCommand, aggregatorCommand, workerCommand, submitCommand, statusCommand, chaosCommand, admitCommand, natsAuthCommand]) {
  program.addCommand(c());
}

try {
  await program.parseAsync(process.argv);
  await releaseSnarkjs();
  // Every command has cleaned up by now; libraries may still hold idle handles.
  process.exit(process.exitCode ?? 0);
} catch (err) {
  await releaseSnarkjs();
  // Commander reports its own parse errors and exits; one thrown by an action (a flag combination it
  // checks) is reported here.
  if (err instanceof CommanderError) {
    process.stderr.write(`drex-swarm: ${err.message.replace(/^error: /, '')}\n`);
    process.exit(err.exitCode);
  }
  const e = err as Error & { code?: string };
  process.stderr.write(`drex-swarm: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
  process.exit(1);
}
