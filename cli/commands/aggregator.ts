import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Address, Hex } from 'viem';
import { startAggregator } from '../../aggregator/service.ts';
import { devPrivateKey } from '../../ledger-bridge/client.ts';
import { serveMetrics } from '../../worker/runtime/metrics-server.ts';
import { DevModeGuard } from '../config/dev-mode.ts';
import { readSecret } from '../config/secret-source.ts';
import { addAttestationOptions, attestationPolicyOf, type AttestationFlags } from '../config/attestation-options.ts';
import { parsePort, untilSignal } from '../run-until-signal.ts';

/** Commander parser of a chain id (a positive integer). */
export const parseChainId = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('--chain-id must be a positive integer');
  return n;
};
const DEFAULT_KEY = join(homedir(), '.config', 'drex-swarm', 'aggregator-key.json');

const hexOf = (bytes: number, what: string) => (v: string) => {
  if (!new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(v)) throw new InvalidArgumentError(`${what} must be 0x and ${bytes * 2} hex digits`);
  return v;
};

/** The embedded chain's well-known accounts: anyone can sign with them. */
const DEV_KEYS = new Set(Array.from({ length: 4 }, (_, i) => devPrivateKey(i).toLowerCase()));

interface AggregatorFlags extends AttestationFlags {
  aggregatorKey: string[];
  nats: string;
  natsCreds?: string;
  key: string;
  sealKey?: string;
  trustedWorker: string[];
  deployment: string;
  rpc?: string;
  chainId?: number;
  settlement?: string;
  settlerKey?: string;
  settlerKeyFile?: string;
  gasPrice?: string;
  httpPort?: number;
  dev?: boolean;
}

/** Collects repeated `--trusted-worker` values: Ed25519 public keys, 32 bytes of hex. */
const workerIdList = (v: string, prev: string[]) => {
  if (!/^[0-9a-fA-F]{64}$/.test(v)) throw new InvalidArgumentError('--trusted-worker must be a worker id: 64 hex digits');
  return [...prev, v.toLowerCase()];
};

/** `drex-swarm aggregator`: result intake and verdicts, and settlement when a ledger is configured. */
export function aggregatorCommand(): Command {
  return addAttestationOptions(new Command('aggregator'))
    .description('run the aggregator: verify worker results, and settle verified batches when --rpc is given')
    .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
    .option('--key <file>', 'Ed25519 identity file that signs verdicts and settlement outcomes (created when missing; give its public key to the orchestrator as --aggregator-key)', DEFAULT_KEY)
    .option('--seal-key <file>', "X25519 key file of the job gateway (created when missing): split proving's shares are sealed to it; give its public key to the orchestrator as --gateway-seal-key")
    .option('--aggregator-key <id>', "another aggregator's public key (hex): its signed reputation observations count here too (repeatable)", workerIdList, [])
    .option('--trusted-worker <id>', 'a worker (Ed25519 public key, hex) the deployment trusts with whole jobs, e.g. a bank-run node (repeatable)', workerIdList, [])
    .option('--deployment <id>', 'whose streams, subjects and buckets: one id per deployment, e.g. c<chainId>-<settlement address prefix>', 'dev')
    .option('--rpc <url>', 'JSON-RPC URL of the ledger (embedded chain or Besu); enables settlement')
    .option('--chain-id <id>', 'chain id the ledger must have (required with --rpc; checked at start)', parseChainId)
    .option('--settlement <address>', 'DrexSettlement contract address', hexOf(20, '--settlement'))
    .option('--settler-key-file <file>', "file holding the settler account's private key (0x and 64 hex digits); or DREX_SETTLER_KEY")
    .option('--settler-key <hex>', "settler account's private key on the command line (--dev only: it shows in the process list)", hexOf(32, '--settler-key'))
    .option('--gas-price <wei>', 'fixed gas price (0 on a zero-base-fee Besu network)')
    .option('--nats-creds <file>', 'NATS .creds file of the aggregator role (or DREX_NATS_CREDS)', process.env.DREX_NATS_CREDS)
    .option('--http-port <port>', 'serve Prometheus metrics on http://127.0.0.1:PORT/metrics (0 = any free port)', parsePort)
    .option('--dev', 'development run: allow the settler key on the command line, the embedded chain\'s well-known keys and NATS without credentials')
    .action(async (o: AggregatorFlags) => {
      const secret = readSecret({ file: o.settlerKeyFile, env: 'DREX_SETTLER_KEY', argv: o.settlerKey });
      if (o.rpc && (!o.settlement || !secret || o.chainId === undefined)) throw new InvalidArgumentError('--rpc needs --chain-id, --settlement and --settler-key-file (or DREX_SETTLER_KEY)');
      const key = secret ? hexOf(32, 'the settler key')(secret.value) : undefined;
      new DevModeGuard('drex-swarm aggregator', Boolean(o.dev))
        .refuse(secret?.origin === 'argv', '--settler-key puts a secret on the command line: use --settler-key-file FILE or DREX_SETTLER_KEY')
        .refuse(key !== undefined && DEV_KEYS.has(key.toLowerCase()), 'the settler key is a well-known dev key of the embedded chain')
        .refuse(!o.natsCreds, "--nats-creds FILE (or DREX_NATS_CREDS) is missing: the aggregator role's NATS credentials")
        .check();
      const agg = await startAggregator({
        natsUrl: o.nats,
        natsCreds: o.natsCreds,
        keyFile: resolve(o.key),
        sealKeyFile: o.sealKey ? resolve(o.sealKey) : undefined,
        trustedWorkers: o.trustedWorker,
        attestation: attestationPolicyOf(o),
        ...(o.aggregatorKey.length > 0 ? { peerAggregatorKeys: o.aggregatorKey } : {}),
        deployment: o.deployment,
        ledger: o.rpc ? { rpcUrl: o.rpc, chainId: o.chainId!, settlement: o.settlement as Address, privateKey: key as Hex, gasPrice: o.gasPrice === undefined ? undefined : BigInt(o.gasPrice) } : undefined,
      });
      const metrics = o.httpPort === undefined ? undefined : await serveMetrics(agg.registry, o.httpPort, '127.0.0.1');
      process.stdout.write(`${JSON.stringify({ pid: process.pid, id: agg.id, sealKey: agg.sealKey ?? null, settles: Boolean(o.rpc), http: metrics ? `http://127.0.0.1:${metrics.port}` : null })}\n`);
      // A settler that finds the ledger is not the configured one stops: so does the process (non-zero).
      const failed = agg.settler?.whenFailed() ?? new Promise<never>(() => {});
      const end = await Promise.race([untilSignal(), failed]);
      await metrics?.close();
      await agg.stop();
      if (typeof end !== 'string') throw end;
    });
}
