import { Command } from 'commander';
import { startWitnessService } from '../../orchestrator/witness/witness-service.ts';
import { DevModeGuard } from '../config/dev-mode.ts';
import { untilSignal } from '../run-until-signal.ts';
import { sealKeyHex } from './orchestrator.ts';

/** `drex-swarm witness`: a witness stage replica (trusted, bank-operated) beside the orchestrator. */
export function witnessCommand(): Command {
  return new Command('witness')
    .description("prepare split proving's attempts: witness and quotient, secret shares sealed to the job gateway, two half jobs each (any number of replicas; the orchestrator runs one itself unless --witness-concurrency 0)")
    .requiredOption('--gateway-seal-key <hex>', "the job gateway's X25519 seal public key (the aggregator prints it as sealKey)", sealKeyHex)
    .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
    .option('--nats-creds <file>', 'NATS .creds file of the orchestrator role (or DREX_NATS_CREDS)', process.env.DREX_NATS_CREDS)
    .option('--redis <url>', "the orchestrator's Redis", 'redis://127.0.0.1:6379')
    .option('--redis-prefix <prefix>', "the orchestrator's Redis key prefix (default drex:<deployment>:)")
    .option('--deployment <id>', 'whose streams, subjects and buckets', 'dev')
    .option('--concurrency <n>', 'attempts prepared at once', Number, 1)
    .option('--half-deadline-ms <ms>', 'how long one worker may hold a half', Number, 120_000)
    .option('--dev', 'development run: allow NATS without credentials')
    .action(async (o: { gatewaySealKey: string; nats: string; natsCreds?: string; redis: string; redisPrefix?: string; deployment: string; concurrency: number; halfDeadlineMs: number; dev?: boolean }) => {
      new DevModeGuard('drex-swarm witness', Boolean(o.dev)).refuse(!o.natsCreds, "--nats-creds FILE (or DREX_NATS_CREDS) is missing: the orchestrator role's NATS credentials").check();
      const w = await startWitnessService({ natsUrl: o.nats, natsCreds: o.natsCreds, redisUrl: o.redis, redisPrefix: o.redisPrefix, deployment: o.deployment, gatewaySealKey: o.gatewaySealKey, concurrency: o.concurrency, halfDeadlineMs: o.halfDeadlineMs });
      process.stdout.write(`${JSON.stringify({ pid: process.pid, artifact: w.artifact })}\n`);
      await untilSignal();
      await w.stop();
    });
}
