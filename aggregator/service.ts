import { readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Address, Hex } from 'viem';
import { DEFAULT_TOPOLOGY, type TopologyOptions } from '../protocol/nats-topology.ts';
import { openTopology } from '../protocol/open-topology.ts';
import { credsConnectOptions } from '../swarm/nats-auth/connect.ts';
import { loadOrCreateIdentity } from '../swarm/identity/ed25519.ts';
import { createLogger, type Logger } from '../swarm/log/logger.ts';
import { createChainClient, type RetryPolicy } from '../ledger-bridge/client.ts';
import { loadOrCreateSealKey } from '../swarm/sealing/seal-key-file.ts';
import { startMembershipService, type MembershipService, type MembershipServiceOptions } from '../swarm/membership/membership-service.ts';
import { HalfGrants } from './gateway/half-grants.ts';
import { TransferExclusions } from './split/exclusions.ts';
import { JobGateway } from './gateway/job-gateway.ts';
import { ResultIntake } from './intake/result-intake.ts';
import { Reputation } from './intake/reputation.ts';
import { attestationPolicy, type AttestationPolicyOptions } from '../swarm/attestation/attestation-policy.ts';
import { VkeyCache } from './intake/vkey-cache.ts';
import { ProvingKeyCache } from './split/proving-key-cache.ts';
import { Settler } from './settlement/settler.ts';

/** Where and how verified batches are settled. */
export interface LedgerConfig {
  /** JSON-RPC URL: the embedded chain's or a Besu node's. */
  rpcUrl: string;
  /** The chain id the ledger must have (checked at start). */
  chainId: number;
  /** The DrexSettlement contract. */
  settlement: Address;
  /** The settler account's private key (signs locally). */
  privateKey: Hex;
  /** Fixed gas price (0 on a permissioned Besu network with zero base fee). */
  gasPrice?: bigint;
  /** Retries of one chain request (default: ledger-bridge's DEFAULT_RETRY). */
  retry?: RetryPolicy;
}

export interface AggregatorConfig {
  natsUrl: string;
  /** NATS `.creds` file of the aggregator role (none: an open server, for tests of other parts). */
  natsCreds?: string;
  /** Ed25519 key file of the aggregator (created when missing): it signs verdicts and settlement outcomes. */
  keyFile: string;
  /**
   * X25519 key file of the job gateway (created when missing): witness generators seal split proving's
   * shares to it, and the gateway re-seals each to the worker that takes it. None: half jobs are handed back.
   */
  sealKeyFile?: string;
  /** The attestation policy TEE workers' documents must pass to get whole jobs (none: no TEE worker gets one). */
  attestation?: AttestationPolicyOptions;
  /** Workers trusted with whole jobs (their ids, or a test of one); none by default: workers get halves only. */
  trustedWorkers?: readonly string[] | ((workerId: string) => boolean);
  /** Whose streams (see protocol/subjects.ts); default `dev`. */
  deployment?: string;
  topology?: TopologyOptions;
  /** Verification keys at hand, by artifact hash (others are fetched from the artifacts store). */
  vkeys?: Record<string, string>;
  /** When given, the aggregator also settles verified batches on this ledger. */
  ledger?: LedgerConfig;
  /** The other aggregators' public keys: their signed reputation observations count here too (this one's always do). */
  peerAggregatorKeys?: readonly string[];
  /** Fraction of a half's deadline after which a slow holder's half is offered to a fast worker too (default 0.5). */
  speculateAt?: number;
  /** Membership replica settings (tests shorten its intervals). */
  membership?: Pick<MembershipServiceOptions, 'antiEntropyIntervalMs' | 'expiryIntervalMs' | 'maxSkewMs'>;
  /** Delay before a batch waiting for its predecessor (or for the chain) is tried again. Default 2 s. */
  settleRetryMs?: number;
  log?: Logger;
}

export interface RunningAggregator {
  gateway: JobGateway;
  /** This aggregator's membership replica. */
  members: MembershipService;
  intake: ResultIntake;
  settler?: Settler;
  registry: Registry;
  nc: NatsConnection;
  /** The aggregator's public key (hex): the orchestrator's `--aggregator-key`. */
  id: string;
  /** The job gateway's seal public key (hex), when it has one: the witness generator's `--gateway-seal-key`. */
  sealKey?: string;
  stop(): Promise<void>;
}

/** Starts the aggregator: result intake and verdicts, and settlement of verified batches when a ledger is configured. */
export async function startAggregator(c: AggregatorConfig): Promise<RunningAggregator> {
  const identity = loadOrCreateIdentity(c.keyFile);
  const sealKey = c.sealKeyFile ? await loadOrCreateSealKey(c.sealKeyFile) : undefined;
  const log = c.log ?? createLogger('aggregator');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'drex_aggregator_' });
  const nc = await connect({ servers: c.natsUrl, name: 'drex-aggregator', maxReconnectAttempts: -1, ...(c.natsCreds ? await credsConnectOptions(c.natsCreds) : {}) });
  // The orchestrator creates the streams and buckets; the aggregator's credentials may not.
  const topo = await openTopology(nc, { deployment: c.deployment, onWait: (missing) => log.info('waiting for the topology (created by the orchestrator)', { missing }) });
  const preset = Object.fromEntries(Object.entries(c.vkeys ?? {}).map(([h, p]) => [h, JSON.parse(readFileSync(p, 'utf8')) as unknown]));
  const vkeys = new VkeyCache(topo.artifacts, preset);
  const exclusions = new TransferExclusions(topo.splits);
  const split = { halves: topo.halves, shares: topo.shares, provingKeys: new ProvingKeyCache(topo.artifacts), sealKey, exclusions };
  const observers = [identity.id, ...(c.peerAggregatorKeys ?? [])];
  const members = await startMembershipService({ nc, names: topo.names, observers, log: log.child({ part: 'membership' }), ...c.membership });
  const reputation = new Reputation({ replica: members, identity, registry, log: log.child({ part: 'reputation' }) });
  const intake = new ResultIntake({ nc, names: topo.names, jobs: topo.jobs, members, reputation, leases: topo.leases, vkeys, identity, log, registry, split });
  await intake.start();
  const consumer = await jetstream(nc).consumers.get(topo.names.jobsStream, topo.names.proversConsumer);
  const halves = sealKey ? new HalfGrants({ splits: topo.splits, shares: topo.shares, sealKey, exclusions }) : undefined;
  const trusted = c.trustedWorkers;
  const trustedWorkers = typeof trusted === 'function' ? trusted : (id: string) => (trusted ?? []).includes(id);
  const gateway = new JobGateway({ nc, names: topo.names, consumer, leases: topo.leases, members, reputation, halves, trustedWorkers, speculation: { halves: topo.halves, at: c.speculateAt ?? 0.5 }, ...(c.attestation ? { attestation: await attestationPolicy(c.attestation) } : {}), log: log.child({ part: 'gateway' }), registry });
  await gateway.start();
  let settler: Settler | undefined;
  if (c.ledger) {
    const chain = createChainClient({ url: c.ledger.rpcUrl, chainId: c.ledger.chainId, privateKey: c.ledger.privateKey, gasPrice: c.ledger.gasPrice, retry: c.ledger.retry });
    const ackWaitMs = c.topology?.settleAckWaitMs ?? DEFAULT_TOPOLOGY.settleAckWaitMs;
    settler = new Settler({
      nc,
      names: topo.names,
      chain,
      chainId: c.ledger.chainId,
      settlement: c.ledger.settlement,
      vkeys,
      identity,
      log: log.child({ part: 'settler' }),
      registry,
      retryDelayMs: c.settleRetryMs,
      workingIntervalMs: Math.max(100, Math.floor(ackWaitMs / 3)),
    });
    await settler.start();
  }
  log.info('aggregator started', { id: identity.id, settles: Boolean(c.ledger), rpc: c.ledger?.rpcUrl, settlement: c.ledger?.settlement });
  return {
    gateway,
    members,
    intake,
    settler,
    registry,
    nc,
    id: identity.id,
    sealKey: sealKey?.publicKeyHex,
    stop: async () => {
      await gateway.stop();
      await settler?.stop();
      await intake.stop();
      await members.stop();
      await nc.drain().catch(() => {});
    },
  };
}
