import { resolve } from 'node:path';
import { Command } from 'commander';
import { checkDeployment } from '../../protocol/subjects.ts';
import { createNatsSecurity } from '../../swarm/nats-auth/nats-security.ts';

/**
 * `drex-swarm nats-auth --dir DIR --deployment ID`: generates a deployment's NATS security (operator,
 * accounts, role credentials, admission keys) for a nats-server an operator runs: include
 * `DIR/auth.conf` in its configuration, give each process its `DIR/creds/<role>.creds`, and the
 * orchestrator `--admission-dir DIR/admission`. Keep `DIR/operator.nk` offline. Prints one JSON line.
 */
export function natsAuthCommand(): Command {
  return new Command('nats-auth')
    .description('generate NATS operator-mode security for a deployment: server auth config, role credentials, admission keys')
    .requiredOption('--dir <dir>', 'where the files go (existing files are replaced)')
    .requiredOption('--deployment <id>', 'the deployment the credentials are for (its subjects are in the permissions)')
    .action(async (o: { dir: string; deployment: string }) => {
      const s = await createNatsSecurity({ dir: resolve(o.dir), deployment: checkDeployment(o.deployment) });
      process.stdout.write(`${JSON.stringify({ deployment: o.deployment, serverConfig: resolve(o.dir, 'auth.conf'), creds: s.creds, admissionDir: s.admissionDir })}\n`);
    });
}
