import { Command, CommanderError } from 'commander';
import { releaseSnarkjs } from '../circuits/snarkjs-runtime.ts';

const program = new Command('drex-swarm')
  .description('Edge-swarm Groth16 proving for Drex private transfers')
  .version('0.1.0')
  .showHelpAfterError();

/**
 * Each command's module, loaded only when it runs: a process imports what its own command needs (a
 * worker starts in a third of the time that loading every command takes). `--help` loads them all.
 */
const COMMANDS: Record<string, () => Promise<() => Command>> = {
  setup: async () => (await import('./commands/setup.ts')).setupCommand,
  prove: async () => (await import('./commands/prove.ts')).proveCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  devnet: async () => (await import('./commands/devnet.ts')).devnetCommand,
  orchestrator: async () => (await import('./commands/orchestrator.ts')).orchestratorCommand,
  witness: async () => (await import('./commands/witness.ts')).witnessCommand,
  aggregator: async () => (await import('./commands/aggregator.ts')).aggregatorCommand,
  worker: async () => (await import('./commands/worker.ts')).workerCommand,
  submit: async () => (await import('./commands/submit.ts')).submitCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  chaos: async () => (await import('./commands/chaos.ts')).chaosCommand,
  admit: async () => (await import('./commands/admit.ts')).admitCommand,
  'nats-auth': async () => (await import('./commands/nats-auth.ts')).natsAuthCommand,
  attest: async () => (await import('./commands/attest.ts')).attestCommand,
};

const named = process.argv[2];
const loading = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
for (const make of await Promise.all(loading.map((n) => COMMANDS[n]!()))) program.addCommand(make());

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
