import { Command, InvalidArgumentError } from 'commander';
import type { Address } from 'viem';
import { startOrchestrator } from '../../orchestrator/orchestrator.ts';
import { loadBankRegistry } from '../../orchestrator/banks/bank-registry.ts';
import { parsePort, untilSignal } from '../run-until-signal.ts';
import { parseChainId } from './aggregator.ts';

const positive = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};

/** Collects repeated `--aggregator-key` values: Ed25519 public keys, 32 bytes of hex. */
const aggregatorKey = (v: string, prev: string[]) => {
  if (!/^[0-9a-fA-F]{64}$/.test(v)) throw new InvalidArgumentError('--aggregator-key must be an Ed25519 public key: 64 hex digits');
  return [...prev, v.toLowerCase()];
};

interface OrchestratorFlags {
  aggregatorKey: string[];
  nats: string;
  redis: string;
  grpcPort: number;
  grpcHost: string;
  httpPort: number;
  banks?: string;
  deployment: string;
  redisPrefix?: string;
  jobTimeoutMs: number;
  jobAckWaitMs: number;
  rpc?: string;
  chainId?: number;
  settlement?: string;
  reconcileIntervalMs: number;
  handoffTimeoutMs: number;
  leaseTtlMs: number;
  housekeepingIntervalMs: number;
  lostJobGraceMs: number;
  retentionMs: number;
  settleAckWaitMs?: number;
  settleMaxDeliver?: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  natsCreds?: string;
  admissionDir?: string;
  admissionPolicy: string;
  admissionQuota: number;
  workerCredsTtlMs: number;
}

/**
 * `drex-swarm orchestrator`: the bank gRPC API, planner, dispatcher, batch state and reconciliation.
 * Several may run against one Redis: one leads, the others stand by (printing `{"standby":true}`) and
 * one takes over when the leader dies. A leader that loses its lease exits with status 75 (restart it:
 * it comes back as a standby).
 */
export function orchestratorCommand(): Command {
  return new Command('orchestrator')
    .description('run the orchestrator (bank gRPC API, planner, dispatcher, batch state, chain reconciliation, HTTP metrics)')
    .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
    .option('--redis <url>', 'Redis server', 'redis://127.0.0.1:6379')
    .option('--grpc-port <port>', 'gRPC port on 127.0.0.1 (0 = any free port)', parsePort, 50051)
    .option('--grpc-host <host>', 'gRPC listen host', '127.0.0.1')
    .option('--http-port <port>', 'HTTP port for /metrics and /healthz (0 = any free port)', parsePort, 9464)
    .option('--aggregator-key <hex>', 'public key of an aggregator whose signed verdicts and settlement outcomes count (repeatable; at least one)', aggregatorKey, [] as string[])
    .option('--banks <file>', 'bank registry JSON ({"banks":[{"id","publicKey"}]}); default: the dev banks')
    .option('--deployment <id>', 'whose streams, subjects and buckets (and Redis keys and batch ids): one id per deployment, e.g. c<chainId>-<settlement address prefix>', 'dev')
    .option('--redis-prefix <prefix>', 'Redis key prefix (default drex:<deployment>:)')
    .option('--job-timeout-ms <ms>', 'last resort: re-issue a job whose queue position was never recorded this long after it was published', positive('--job-timeout-ms'), 35 * 60_000)
    .option('--job-ack-wait-ms <ms>', 'JetStream ack wait of proving jobs', positive('--job-ack-wait-ms'), 30_000)
    .option('--rpc <url>', 'JSON-RPC URL of the ledger: verified batches are handed to settlement and reconciled against it (needs --settlement)')
    .option('--chain-id <id>', 'chain id --rpc must have (required with --rpc; checked at start with the contract and its verifier)', parseChainId)
    .option('--settlement <address>', 'DrexSettlement contract address on --rpc')
    .option('--reconcile-interval-ms <ms>', 'how often batches handed to settlement are checked against the chain', positive('--reconcile-interval-ms'), 30_000)
    .option('--handoff-timeout-ms <ms>', 'hand a batch that can settle over again when the last hand-off has not settled it after this long', positive('--handoff-timeout-ms'), 120_000)
    .option('--lease-ttl-ms <ms>', 'leader lease TTL (a standby takes over within 1.25 x this)', positive('--lease-ttl-ms'), 10_000)
    .option('--housekeeping-interval-ms <ms>', 'how often lost jobs are looked for', positive('--housekeeping-interval-ms'), 15_000)
    .option('--retention-ms <ms>', 'prune a settled or failed batch to its audit record this long after it became final', positive('--retention-ms'), 7 * 24 * 3600_000)
    .option('--lost-job-grace-ms <ms>', 're-issue a job gone from the queue without a verified proof after this long', positive('--lost-job-grace-ms'), 60_000)
    .option('--settle-ack-wait-ms <ms>', 'JetStream ack wait of hand-offs to the settler', positive('--settle-ack-wait-ms'))
    .option('--settle-max-deliver <n>', 'deliveries of one hand-off (default unlimited; the reconciler hands a batch over again anyway)', positive('--settle-max-deliver'))
    .option('--nats-creds <file>', 'NATS .creds file of the orchestrator role (or DREX_NATS_CREDS)', process.env.DREX_NATS_CREDS)
    .option('--admission-dir <dir>', 'serve worker admission on the HTTP port with the admission keys in this folder (written with the NATS security)')
    .option('--admission-policy <policy>', 'allowlist (keys added with `drex-swarm admit allow`) or open (any key, up to --admission-quota per operator)', 'allowlist')
    .option('--admission-quota <n>', 'open admission: most admitted workers per operator', positive('--admission-quota'), 16)
    .option('--worker-creds-ttl-ms <ms>', 'lifetime of the NATS credentials admission issues (workers renew them)', positive('--worker-creds-ttl-ms'), 3_600_000)
    .option('--tls-cert <pem>', 'mTLS: server certificate (with --tls-key and --tls-ca); banks then authenticate by client certificate')
    .option('--tls-key <pem>', 'mTLS: server private key')
    .option('--tls-ca <pem>', 'mTLS: CA that signs the banks\' client certificates (CN = bank id)')
    .action(async (o: OrchestratorFlags) => {
      const tlsGiven = [o.tlsCert, o.tlsKey, o.tlsCa].filter(Boolean).length;
      if (tlsGiven > 0 && tlsGiven < 3) throw new InvalidArgumentError('mTLS needs --tls-cert, --tls-key and --tls-ca together');
      if (o.aggregatorKey.length === 0) throw new InvalidArgumentError('--aggregator-key is required: the public key printed by `drex-swarm aggregator` (its "id")');
      if (Boolean(o.rpc) !== Boolean(o.settlement) || Boolean(o.rpc) !== (o.chainId !== undefined)) throw new InvalidArgumentError('--rpc, --chain-id and --settlement go together');
      if (o.settlement && !/^0x[0-9a-fA-F]{40}$/.test(o.settlement)) throw new InvalidArgumentError('--settlement must be 0x and 40 hex digits');
      const abort = new AbortController();
      const signal = untilSignal();
      void signal.then(() => abort.abort());
      if (o.admissionPolicy !== 'allowlist' && o.admissionPolicy !== 'open') throw new InvalidArgumentError('--admission-policy must be allowlist or open');
      const orch = await startOrchestrator({
        natsUrl: o.nats,
        natsCreds: o.natsCreds,
        admission: o.admissionDir
          ? {
              dir: o.admissionDir,
              policy: o.admissionPolicy === 'open' ? { mode: 'open', quotaPerOperator: o.admissionQuota } : { mode: 'allowlist' },
              credentialTtlMs: o.workerCredsTtlMs,
            }
          : undefined,
        redisUrl: o.redis,
        grpcHost: o.grpcHost,
        grpcPort: o.grpcPort,
        httpPort: o.httpPort,
        banks: o.banks ? loadBankRegistry(o.banks) : undefined,
        deployment: o.deployment,
        aggregatorKeys: o.aggregatorKey,
        redisPrefix: o.redisPrefix,
        jobTimeoutMs: o.jobTimeoutMs,
        housekeepingIntervalMs: o.housekeepingIntervalMs,
        lostJobGraceMs: o.lostJobGraceMs,
        retentionMs: o.retentionMs,
        topology: { jobAckWaitMs: o.jobAckWaitMs, settleAckWaitMs: o.settleAckWaitMs, settleMaxDeliver: o.settleMaxDeliver },
        ledger: o.rpc ? { rpcUrl: o.rpc, chainId: o.chainId!, settlement: o.settlement as Address } : undefined,
        reconcileIntervalMs: o.reconcileIntervalMs,
        handoffTimeoutMs: o.handoffTimeoutMs,
        leaseTtlMs: o.leaseTtlMs,
        tls: tlsGiven === 3 ? { cert: o.tlsCert!, key: o.tlsKey!, ca: o.tlsCa! } : undefined,
        signal: abort.signal,
        onStandby: () => process.stdout.write(`${JSON.stringify({ standby: true, pid: process.pid })}\n`),
        onLeadershipLost: () => process.exit(75),
      }).catch((err: unknown) => {
        if (abort.signal.aborted) process.exit(0);
        throw err;
      });
      process.stdout.write(`${JSON.stringify({ grpc: orch.grpcAddress, http: orch.httpUrl, artifact: orch.artifact, epoch: orch.leaderEpoch, pid: process.pid })}\n`);
      await signal;
      await orch.stop();
    });
}
