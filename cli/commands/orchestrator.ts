import { DEFAULT_CIRCUIT } from '../../circuits/build/compile.ts';
import { Command, InvalidArgumentError } from 'commander';
import type { Address } from 'viem';
import { startOrchestrator } from '../../orchestrator/orchestrator.ts';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { devMinter } from '../../circuits/sample/dev-accounts.ts';
import { DEV_COMPLIANCE_LIMIT } from '../../circuits/sample/sample-transfer.ts';
import { devKeysIn, loadBankRegistry } from '../../orchestrator/banks/bank-registry.ts';
import { DevModeGuard } from '../config/dev-mode.ts';
import { DEFAULT_QUOTAS } from '../../orchestrator/api/batch-service.ts';
import { DEFAULT_LIMITS } from '../../orchestrator/api/validate-submit.ts';
import { parsePort, untilSignal } from '../run-until-signal.ts';
import { parseChainId } from './aggregator.ts';
import { parseTokenLines, readTokenFile } from '../../orchestrator/http/regulator-tokens.ts';
import { addAttestationOptions, attestationPolicyOf } from '../config/attestation-options.ts';

const positive = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};

const nonNegative = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer`);
  return n;
};

const provingMode = (v: string): 'split' | 'whole' => {
  if (v !== 'split' && v !== 'whole') throw new InvalidArgumentError('--proving-mode must be split or whole');
  return v;
};

/** An X25519 public key: 32 bytes of hex. */
export const sealKeyHex = (v: string) => {
  if (!/^[0-9a-fA-F]{64}$/.test(v)) throw new InvalidArgumentError('a seal key must be an X25519 public key: 64 hex digits');
  return v.toLowerCase();
};

/** Collects repeated `--aggregator-key` values: Ed25519 public keys, 32 bytes of hex. */
const aggregatorKey = (v: string, prev: string[]) => {
  if (!/^[0-9a-fA-F]{64}$/.test(v)) throw new InvalidArgumentError('--aggregator-key must be an Ed25519 public key: 64 hex digits');
  return [...prev, v.toLowerCase()];
};

interface OrchestratorFlags {
  transfersPerProof: number;
  aggregatorKey: string[];
  provingMode: 'split' | 'whole';
  gatewaySealKey?: string;
  witnessConcurrency: number;
  halfDeadlineMs: number;
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
  workerPageNatsWs?: string;
  workerCredsTtlMs: number;
  maxWatchersPerBank: number;
  maxOpenBatchesPerBank: number;
  maxClockSkewMs: number;
  minter?: string;
  complianceLimit: bigint;
  dev?: boolean;
  regulatorTokenFile?: string;
  attestationRoot: string[];
  attestationAllowDebug?: boolean;
}

const ownerId = (v: string): string => {
  if (!/^(0|[1-9]\d{0,76})$/.test(v)) throw new InvalidArgumentError('--minter must be an owner id (a decimal field element)');
  return v;
};

const amount = (v: string): bigint => {
  if (!/^[1-9]\d{0,19}$/.test(v) || BigInt(v) >= 1n << 64n) throw new InvalidArgumentError('--compliance-limit must be a positive integer below 2^64');
  return BigInt(v);
};

/**
 * `drex-swarm orchestrator`: the bank gRPC API, planner, dispatcher, batch state and reconciliation.
 * Several may run against one Redis: one leads, the others stand by (printing `{"standby":true}`) and
 * one takes over when the leader dies. A leader that loses its lease exits with status 75 (restart it:
 * it comes back as a standby).
 */
export function orchestratorCommand(): Command {
  return addAttestationOptions(new Command('orchestrator'))
    .description('run the orchestrator (bank gRPC API, planner, dispatcher, batch state, chain reconciliation, HTTP metrics)')
    .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
    .option('--redis <url>', 'Redis server', 'redis://127.0.0.1:6379')
    .option('--grpc-port <port>', 'gRPC port on 127.0.0.1 (0 = any free port)', parsePort, 50051)
    .option('--grpc-host <host>', 'gRPC listen host', '127.0.0.1')
    .option('--http-port <port>', 'HTTP port for /metrics, /healthz, worker admission, the regulator API (/api/v1) and portal (/portal) (0 = any free port)', parsePort, 9464)
    .option('--regulator-token-file <file>', 'bearer tokens that open the regulator API and portal, one per line (or DREX_REGULATOR_TOKEN_FILE; DREX_REGULATOR_TOKENS may list tokens too); without any, every regulator request is refused', process.env.DREX_REGULATOR_TOKEN_FILE)
    .option('--aggregator-key <hex>', 'public key of an aggregator whose signed verdicts and settlement outcomes count (repeatable; at least one)', aggregatorKey, [] as string[])
    .option('--banks <file>', 'bank registry JSON ({"banks":[{"id","publicKey"}]}); required unless --dev (then default: the dev banks)')
    .option('--minter <owner-id>', "owner id of the minter role (the only sender allowed deposits and withdrawals); required unless --dev (then default: the dev minter)", ownerId)
    .option('--transfers-per-proof <k>', 'k of the circuit (1, 2, 4, 8, ...): transfers per proof; the settlement contract must be built for the same k', positive('--transfers-per-proof'), DEFAULT_CIRCUIT.k)
    .option('--compliance-limit <amount>', 'largest amount one transfer may move', amount, DEV_COMPLIANCE_LIMIT)
    .option('--dev', 'development run: allow the dev bank registry, dev bank keys and the dev minter')
    .option('--deployment <id>', 'whose streams, subjects and buckets (and Redis keys and batch ids): one id per deployment, e.g. c<chainId>-<settlement address prefix>', 'dev')
    .option('--redis-prefix <prefix>', 'Redis key prefix (default drex:<deployment>:)')
    .option('--proving-mode <mode>', 'split: two untrusted workers each prove on a secret share (default); whole: one job per transfer, for trusted workers', provingMode, 'split')
    .option('--gateway-seal-key <hex>', "the job gateway's X25519 seal public key (the aggregator prints it as sealKey): split proving's shares are sealed to it", sealKeyHex)
    .option('--witness-concurrency <n>', "transfers this process's witness stage prepares at once (0: leave it to `drex-swarm witness` replicas)", nonNegative('--witness-concurrency'), 1)
    .option('--half-deadline-ms <ms>', 'how long one worker may hold a half before it goes to another worker', positive('--half-deadline-ms'), 120_000)
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
    .option('--worker-page-nats-ws <url>', "serve the browser worker page at /worker on the HTTP port; its workers connect to NATS's WebSocket at this ws:// or wss:// URL (needs --admission-dir)")
    .option('--worker-creds-ttl-ms <ms>', 'lifetime of the NATS credentials admission issues (workers renew them)', positive('--worker-creds-ttl-ms'), 3_600_000)
    .option('--tls-cert <pem>', 'TLS: server certificate (with --tls-key); banks verify it with their CA file')
    .option('--tls-key <pem>', 'TLS: server private key')
    .option('--tls-ca <pem>', 'mTLS: CA that signs the banks\' client certificates (CN = bank id); needs --tls-cert and --tls-key')
    .option('--max-watchers-per-bank <n>', 'WatchBatch streams one bank may hold open at once', positive('--max-watchers-per-bank'), DEFAULT_QUOTAS.maxWatchersPerBank)
    .option('--max-open-batches-per-bank <n>', 'batches one bank may have submitted that are not final yet', positive('--max-open-batches-per-bank'), DEFAULT_QUOTAS.maxOpenBatchesPerBank)
    .option('--max-clock-skew-ms <ms>', 'signed requests are refused when their timestamp is further than this from the server clock', positive('--max-clock-skew-ms'), DEFAULT_LIMITS.maxClockSkewMs)
    .action(async (o: OrchestratorFlags) => {
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new InvalidArgumentError('TLS needs --tls-cert and --tls-key together');
      if (o.tlsCa && !o.tlsCert) throw new InvalidArgumentError('--tls-ca (mTLS) needs --tls-cert and --tls-key');
      if (Boolean(o.rpc) !== Boolean(o.settlement) || Boolean(o.rpc) !== (o.chainId !== undefined)) throw new InvalidArgumentError('--rpc, --chain-id and --settlement go together');
      if (o.settlement && !/^0x[0-9a-fA-F]{40}$/.test(o.settlement)) throw new InvalidArgumentError('--settlement must be 0x and 40 hex digits');
      const banks = o.banks ? loadBankRegistry(o.banks) : undefined;
      const crypto = await loadCrypto();
      const devMinterOwner = String(devMinter(crypto).owner);
      const devBankKeys = banks ? devKeysIn(banks) : [];
      new DevModeGuard('drex-swarm orchestrator', Boolean(o.dev))
        .refuse(!banks, '--banks FILE is missing: the bank registry (without it the dev banks, whose keys are public, would be trusted)')
        .refuse(devBankKeys.length > 0, `the bank registry holds dev keys (public knowledge) for: ${devBankKeys.join(', ')}`)
        .refuse(!o.minter, '--minter OWNER_ID is missing: the minter role (without it the dev minter, whose key is public, could mint)')
        .refuse(o.minter === devMinterOwner, '--minter is the dev minter (its key is public knowledge)')
        .refuse(!o.natsCreds, '--nats-creds FILE (or DREX_NATS_CREDS) is missing: the orchestrator role\'s NATS credentials (without them only an open NATS server, which any client can break, would accept it)')
        .check();
      if (o.aggregatorKey.length === 0) throw new InvalidArgumentError('--aggregator-key is required: the public key printed by `drex-swarm aggregator` (its "id")');
      const minter = o.minter ?? devMinterOwner;
      const abort = new AbortController();
      const signal = untilSignal();
      void signal.then(() => abort.abort());
      if (o.admissionPolicy !== 'allowlist' && o.admissionPolicy !== 'open') throw new InvalidArgumentError('--admission-policy must be allowlist or open');
      if (o.workerPageNatsWs && !/^wss?:\/\/[^/\s]+/.test(o.workerPageNatsWs)) throw new InvalidArgumentError('--worker-page-nats-ws must be a ws:// or wss:// URL');
      if (o.workerPageNatsWs && !o.admissionDir) throw new InvalidArgumentError('--worker-page-nats-ws needs --admission-dir: browser workers are admitted on the same origin');
      // The worker page is loaded only when it is served (its bundler is not needed otherwise).
      const publicRoutes = o.workerPageNatsWs ? (await import('../../worker/browser/worker-page-routes.ts')).workerPageRoutes({ deployment: o.deployment, natsWsUrl: o.workerPageNatsWs }) : undefined;
      const regulatorTokens = [...(o.regulatorTokenFile ? readTokenFile(o.regulatorTokenFile) : []), ...parseTokenLines((process.env.DREX_REGULATOR_TOKENS ?? '').replace(/[,\s]+/g, '\n'))];
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
        ...(publicRoutes ? { publicRoutes } : {}),
        portal: { tokens: regulatorTokens },
        attestation: attestationPolicyOf(o),
        banks,
        policy: { minter: BigInt(minter), complianceLimit: o.complianceLimit },
        circuit: { ...DEFAULT_CIRCUIT, k: o.transfersPerProof },
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
        tls: o.tlsCert ? { cert: o.tlsCert, key: o.tlsKey!, ca: o.tlsCa } : undefined,
        limits: { ...DEFAULT_LIMITS, maxClockSkewMs: o.maxClockSkewMs },
        quotas: { maxWatchersPerBank: o.maxWatchersPerBank, maxOpenBatchesPerBank: o.maxOpenBatchesPerBank },
        proving: { mode: o.provingMode, gatewaySealKey: o.gatewaySealKey, witnessConcurrency: o.witnessConcurrency, halfDeadlineMs: o.halfDeadlineMs },
        signal: abort.signal,
        onStandby: () => process.stdout.write(`${JSON.stringify({ standby: true, pid: process.pid })}\n`),
        onLeadershipLost: () => process.exit(75),
      }).catch((err: unknown) => {
        if (abort.signal.aborted) process.exit(0);
        throw err;
      });
      const portal = orch.httpUrl ? { portal: `${orch.httpUrl}/portal`, regulatorTokens: regulatorTokens.length } : {};
      process.stdout.write(`${JSON.stringify({ grpc: orch.grpcAddress, http: orch.httpUrl, ...portal, artifact: orch.artifact, epoch: orch.leaderEpoch, pid: process.pid })}\n`);
      await signal;
      await orch.stop();
    });
}
