import { Command, InvalidArgumentError } from 'commander';
import { startOrchestrator } from '../../orchestrator/orchestrator.ts';
import { loadBankRegistry } from '../../orchestrator/banks/bank-registry.ts';
import { parsePort, untilSignal } from '../run-until-signal.ts';

/** `drex-swarm orchestrator`: the bank gRPC API, planner, dispatcher and batch state machine. */
export function orchestratorCommand(): Command {
  return new Command('orchestrator')
    .description('run the orchestrator (bank gRPC API, planner, dispatcher, batch state machine, HTTP metrics)')
    .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
    .option('--redis <url>', 'Redis server', 'redis://127.0.0.1:6379')
    .option('--grpc-port <port>', 'gRPC port on 127.0.0.1 (0 = any free port)', parsePort, 50051)
    .option('--grpc-host <host>', 'gRPC listen host', '127.0.0.1')
    .option('--http-port <port>', 'HTTP port for /metrics and /healthz (0 = any free port)', parsePort, 9464)
    .option('--banks <file>', 'bank registry JSON ({"banks":[{"id","publicKey"}]}); default: the dev banks')
    .option('--redis-prefix <prefix>', 'Redis key prefix', 'drex:')
    .option('--job-timeout-ms <ms>', 'housekeeper: re-issue a job unanswered this long after it was published (a last resort; crashed workers are handled by JetStream redelivery)', Number, 35 * 60_000)
    .option('--job-ack-wait-ms <ms>', 'JetStream ack wait of proving jobs', Number, 30_000)
    .option('--settle', 'hand verified batches to settlement (only SETTLED is final)', false)
    .option('--tls-cert <pem>', 'mTLS: server certificate (with --tls-key and --tls-ca); banks then authenticate by client certificate')
    .option('--tls-key <pem>', 'mTLS: server private key')
    .option('--tls-ca <pem>', 'mTLS: CA that signs the banks\' client certificates (CN = bank id)')
    .action(async (o: { nats: string; redis: string; grpcPort: number; grpcHost: string; httpPort: number; banks?: string; redisPrefix: string; jobTimeoutMs: number; jobAckWaitMs: number; settle: boolean; tlsCert?: string; tlsKey?: string; tlsCa?: string }) => {
      const tlsGiven = [o.tlsCert, o.tlsKey, o.tlsCa].filter(Boolean).length;
      if (tlsGiven > 0 && tlsGiven < 3) throw new InvalidArgumentError('mTLS needs --tls-cert, --tls-key and --tls-ca together');
      const orch = await startOrchestrator({
        natsUrl: o.nats,
        redisUrl: o.redis,
        grpcHost: o.grpcHost,
        grpcPort: o.grpcPort,
        httpPort: o.httpPort,
        banks: o.banks ? loadBankRegistry(o.banks) : undefined,
        redisPrefix: o.redisPrefix,
        jobTimeoutMs: o.jobTimeoutMs,
        topology: { jobAckWaitMs: o.jobAckWaitMs },
        settles: o.settle,
        tls: tlsGiven === 3 ? { cert: o.tlsCert!, key: o.tlsKey!, ca: o.tlsCa! } : undefined,
      });
      process.stdout.write(`${JSON.stringify({ grpc: orch.grpcAddress, http: orch.httpUrl, artifact: orch.artifact, pid: process.pid })}\n`);
      await untilSignal();
      await orch.stop();
    });
}
