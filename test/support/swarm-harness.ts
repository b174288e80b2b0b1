import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCrypto, type Crypto } from '../../circuits/model/crypto.ts';
import { randomField } from '../../circuits/model/note.ts';
import { signIntent, type Intent } from '../../circuits/model/intent.ts';
import type { Account } from '../../circuits/model/keys.ts';
import { randomAccount } from '../../circuits/model/keys.ts';
import { DREX_BRL } from '../../circuits/sample/sample-transfer.ts';
import { devBankAccounts, devMinter } from '../../circuits/sample/dev-accounts.ts';
import { startAggregator, type RunningAggregator } from '../../aggregator/service.ts';
import type { AttestationPolicyOptions } from '../../swarm/attestation/attestation-policy.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { BankClient } from '../../cli/bank/bank-client.ts';
import { randomNonce } from '../../cli/bank/sample-intents.ts';
import { wireIntentOf } from '../../cli/bank/wire-intent.ts';
import { spawnCli, type CliChild } from '../../cli/devnet/child-process.ts';
import { startNatsServer, type TestNatsServer } from '../../cli/devnet/nats-process.ts';
import { startRedisServer, type LocalRedis } from '../../cli/devnet/redis-process.ts';
import { startDevLedger, type DevLedger } from '../../cli/devnet/embedded-ledger.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';
import { loadOrCreateIdentity } from '../../swarm/identity/ed25519.ts';
import { loadOrCreateSealKey } from '../../swarm/sealing/seal-key-file.ts';
import { testLogger } from './test-logger.ts';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';
import type { RecordedMessage } from './batch-secrets.ts';
import { generateIdentity } from '../../swarm/identity/ed25519.ts';
import { natsNames } from '../../protocol/subjects.ts';
import { credsConnectOptions } from '../../swarm/nats-auth/connect.ts';
import { createNatsSecurity, loadAdmissionKeys, type NatsSecurity } from '../../swarm/nats-auth/nats-security.ts';
import { userKeyFromEd25519Seed } from '../../swarm/nats-auth/nkey-codec.ts';
import { rolePermissions } from '../../swarm/nats-auth/role-permissions.ts';
import { issueUserJwt, writeCredsFile } from '../../swarm/nats-auth/user-credentials.ts';
import { writeFileSync } from 'node:fs';

export interface SwarmOptions {
  workers: number;
  /** How transfers are proved (default whole: the pipeline tests that are not about split proving stay quick). */
  proving?: 'split' | 'whole';
  /** JetStream ack wait of jobs: how soon a crashed worker's job is redelivered. */
  jobAckWaitMs?: number;
  /** Housekeeper timeout: a job unanswered this long is re-issued. */
  jobTimeoutMs?: number;
  /** Extra orchestrator arguments. */
  orchestratorArgs?: string[];
  /** Topology of the ready stream (settle hand-offs), for the settler and the orchestrator. */
  settleAckWaitMs?: number;
  settleMaxDeliver?: number;
  /** The settler's delay before a waiting batch is tried again. */
  settleRetryMs?: number;
  /** The settler's retries of one chain request. */
  chainRetry?: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  /** Settle batches on an embedded EVM (started in this process) with the contracts deployed. */
  ledger?: boolean;
  /** Whether every worker it starts is trusted with whole jobs (default true); false: only attested TEE workers get them. */
  trustWorkers?: boolean;
  /** The aggregator's attestation policy (TEE workers' documents). */
  attestation?: AttestationPolicyOptions;
}

/**
 * A whole swarm on loopback for integration tests: its own nats-server (operator mode, each process
 * with its role's credentials) and redis-server, the
 * orchestrator and workers as child processes (so tests can kill them), the aggregator in-process
 * (so tests can read its metrics).
 */
export class Swarm {
  crypto!: Crypto;
  nats!: TestNatsServer;
  security!: NatsSecurity;
  redis!: LocalRedis;
  orchestrator!: CliChild;
  aggregator!: RunningAggregator;
  workers: CliChild[] = [];
  ledger?: DevLedger;
  /** The deployment's domain (GetDeployment): every intent is signed in it. */
  domain = 0n;
  readonly dir = mkdtempSync(join(tmpdir(), 'drex-swarm-test-'));
  /** The aggregator's key file (replicas share it); the orchestrators trust its public key. */
  readonly aggregatorKeyFile = join(this.dir, 'aggregator.key.json');
  /** The job gateway's seal key file (replicas share it); split proving's shares are sealed to it. */
  readonly sealKeyFile = join(this.dir, 'aggregator.seal.json');
  private sealKey = '';
  private readonly trusted = new Set<string>();
  private clients: BankClient[] = [];
  private workerCount = 0;

  constructor(readonly o: SwarmOptions) {}

  /** The leading orchestrator's ready line (a standby prints `{"standby":true}` first). */
  private leaderInfo(): Record<string, unknown> {
    const line = this.orchestrator.lines.find((l) => typeof l.grpc === 'string');
    if (!line) throw new Error('the orchestrator does not lead (yet)');
    return line;
  }

  get grpc(): string {
    return String(this.leaderInfo().grpc);
  }

  get httpUrl(): string {
    return String(this.leaderInfo().http);
  }

  private get topology() {
    return { jobAckWaitMs: this.o.jobAckWaitMs ?? 10_000, settleAckWaitMs: this.o.settleAckWaitMs, settleMaxDeliver: this.o.settleMaxDeliver };
  }

  async start(): Promise<this> {
    this.crypto = await loadCrypto();
    this.security = await createNatsSecurity({ dir: join(this.dir, 'nats-security'), deployment: 'dev' });
    [this.nats, this.redis] = await Promise.all([startNatsServer({ authConfig: this.security.serverConfig, logFile: join(this.dir, 'nats.log') }), startRedisServer()]);
    if (this.o.ledger) this.ledger = await startDevLedger();
    this.sealKey = (await loadOrCreateSealKey(this.sealKeyFile)).publicKeyHex;
    await this.startOrchestrator();
    this.domain = (await this.client('central-bank').deployment()).domain;
    this.aggregator = await startAggregator({
      natsUrl: this.nats.url,
      natsCreds: this.security.creds.aggregator,
      keyFile: this.aggregatorKeyFile,
      sealKeyFile: this.sealKeyFile,
      // Whole jobs go only to trusted workers: here, every worker this harness starts.
      trustedWorkers: (id) => this.o.trustWorkers !== false && this.trusted.has(id),
      ...(this.o.attestation ? { attestation: this.o.attestation } : {}),
      topology: this.topology,
      settleRetryMs: this.o.settleRetryMs,
      log: testLogger('aggregator', this.dir),
      ledger: this.ledger
        ? { rpcUrl: this.ledger.rpc, chainId: this.ledger.chainId, settlement: this.ledger.contracts.DrexSettlement!, privateKey: this.ledger.settlerKey, gasPrice: 0n, retry: this.o.chainRetry }
        : undefined,
    });
    await Promise.all(Array.from({ length: this.o.workers }, () => this.addWorker()));
    return this;
  }

  /** The orchestrator's command line (the timings shrunk for tests). */
  orchestratorArgs(): string[] {
    const t = this.topology;
    return [
      'orchestrator',
      '--dev', // the dev banks and the dev minter
      '--nats', this.nats.url,
      '--nats-creds', this.security.creds.orchestrator,
      '--admission-dir', this.security.admissionDir,
      '--redis', this.redis.url,
      '--aggregator-key', loadOrCreateIdentity(this.aggregatorKeyFile).id,
      '--proving-mode', this.o.proving ?? 'whole',
      '--gateway-seal-key', this.sealKey,
      '--grpc-port', '0',
      '--http-port', '0',
      '--job-ack-wait-ms', String(t.jobAckWaitMs),
      '--job-timeout-ms', String(this.o.jobTimeoutMs ?? 600_000),
      '--lease-ttl-ms', '3000',
      '--reconcile-interval-ms', '2000',
      '--handoff-timeout-ms', '8000',
      '--housekeeping-interval-ms', '2000',
      '--lost-job-grace-ms', '10000',
      ...(t.settleAckWaitMs ? ['--settle-ack-wait-ms', String(t.settleAckWaitMs)] : []),
      ...(t.settleMaxDeliver ? ['--settle-max-deliver', String(t.settleMaxDeliver)] : []),
      ...(this.ledger ? ['--rpc', this.ledger.rpc, '--chain-id', String(this.ledger.chainId), '--settlement', this.ledger.contracts.DrexSettlement!] : []),
      ...(this.o.orchestratorArgs ?? []),
    ];
  }

  /** Starts an orchestrator (a restarted one may stand by until the killed one's lease lapses) and waits until it leads. */
  async startOrchestrator(name = 'orchestrator'): Promise<CliChild> {
    this.orchestrator = await spawnCli(name, this.orchestratorArgs(), { logFile: join(this.dir, `${name}.log`) });
    await waitForLeader(this.orchestrator);
    return this.orchestrator;
  }

  /** Connection options of a role (`admin` may subscribe to everything). */
  connectOptions(role: 'admin' | 'aggregator' | 'orchestrator' | 'worker' = 'admin'): Promise<Partial<ConnectionOptions>> {
    return credsConnectOptions(this.security.creds[role]);
  }

  /**
   * Records every message of the deployment from now on, with an admin credential (security tests scan
   * them); `close()` ends the recording.
   */
  async recordMessages(): Promise<{ recorded: RecordedMessage[]; close(): Promise<void> }> {
    const recorded: RecordedMessage[] = [];
    const nc = await connect({ servers: this.nats.url, ...(await this.connectOptions('admin')) });
    nc.subscribe('>', { callback: (err, m) => void (err || recorded.push({ subject: m.subject, data: m.data.slice() })) });
    await nc.flush();
    return { recorded, close: () => nc.close() };
  }

  /** Trusts one more worker with whole jobs (a member the test runs itself). */
  trust(workerId: string): void {
    this.trusted.add(workerId);
  }

  /** The key file of the i-th worker started. */
  workerKeyFile(i: number): string {
    return join(this.dir, `worker-${i}.json`);
  }

  /** A new worker key file and NATS credentials bound to it, issued with the admission keys. */
  private async workerCredentials(i: number): Promise<{ key: string; creds: string }> {
    const { identity, seedHex } = generateIdentity();
    const key = this.workerKeyFile(i);
    writeFileSync(key, JSON.stringify({ type: 'ed25519', id: identity.id, seed: seedHex }), { mode: 0o600 });
    if (this.o.proving !== 'split') this.trusted.add(identity.id);
    const keys = loadAdmissionKeys(this.security.admissionDir);
    const user = userKeyFromEd25519Seed(seedHex);
    const jwt = await issueUserJwt({
      name: identity.id,
      user,
      account: keys.account.publicKey,
      signer: keys.accountSigner,
      permissions: rolePermissions('worker', natsNames('dev'), user.getPublicKey(), identity.id),
      expiresAt: Math.floor(Date.now() / 1000) + 24 * 3600,
    });
    const creds = join(this.dir, `worker-${i}.creds`);
    writeCredsFile(creds, jwt, user);
    return { key, creds };
  }

  /** Starts one more worker (its key file is `workerKeyFile(i)`); `extraArgs` go on its command line. */
  async addWorker(threads = 1, extraArgs: string[] = []): Promise<CliChild> {
    const i = this.workerCount++;
    const { key, creds } = await this.workerCredentials(i);
    const w = await spawnCli('worker', ['worker', '--nats', this.nats.url, '--nats-creds', creds, '--key', key, '--threads', String(threads), '--no-benchmark', ...extraArgs], {
      logFile: join(this.dir, `worker-${i}.log`),
    });
    this.workers.push(w);
    return w;
  }

  client(bankId: string): BankClient {
    const c = new BankClient({ address: this.grpc, bankId, identity: devBankIdentity(bankId) });
    this.clients.push(c);
    return c;
  }

  /** `from`'s intent in this deployment's domain, with a fresh nonce and seed. */
  signed(from: Account, i: Pick<Intent, 'kind' | 'recipient' | 'amount'>): WireIntent {
    return wireIntentOf(signIntent(this.crypto, from, this.domain, { ...i, sender: from.owner, asset: DREX_BRL, nonce: randomNonce(), seed: randomField() }));
  }

  /** Deposits `amount` by the minter to each of the first `perBank` dev accounts of bank-a and bank-b. */
  depositIntents(perBank: number, amount = 1_000_000n): WireIntent[] {
    const minter = devMinter(this.crypto);
    return ['bank-a', 'bank-b'].flatMap((bank) =>
      devBankAccounts(this.crypto, bank)
        .slice(0, perBank)
        .map((a) => this.signed(minter, { kind: 'deposit', recipient: a.owner, amount })),
    );
  }

  /** `n` transfers from `bank`'s first `senders` dev accounts to the other bank's accounts. */
  transferIntents(bank: 'bank-a' | 'bank-b', n: number, senders = 2, amount = 1_000n): WireIntent[] {
    const from = devBankAccounts(this.crypto, bank).slice(0, senders);
    const to = devBankAccounts(this.crypto, bank === 'bank-a' ? 'bank-b' : 'bank-a');
    return Array.from({ length: n }, (_, i) => {
      const s = from[i % from.length]!;
      return this.signed(s, { kind: 'transfer', recipient: to[i % to.length]!.owner, amount: amount + BigInt(i) });
    });
  }

  /** One transfer from a brand-new account (which holds nothing) to bank-b's first account. */
  unfundedIntent(amount = 1_000n): WireIntent {
    const s = randomAccount(this.crypto);
    const to = devBankAccounts(this.crypto, 'bank-b')[0]!;
    return this.signed(s, { kind: 'transfer', recipient: to.owner, amount });
  }

  /** Submits and follows a batch until `until` (default VERIFIED or FAILED). */
  async run(bank: string, intents: WireIntent[], key: string, until = new Set(['VERIFIED', 'SETTLED', 'FAILED'])) {
    const c = this.client(bank);
    const res = await c.submit(intents, key);
    const events = await c.watch(res.batchId, () => {}, { finalStates: until });
    return { ...res, events, last: events.at(-1)! };
  }

  /** The aggregator's Prometheus counter value for `name` with `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const m = await this.aggregator.registry.getSingleMetric(name)?.get();
    const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
    return v?.value ?? 0;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    await Promise.all(this.workers.map((w) => w.stop(20_000)));
    await this.orchestrator?.stop();
    await this.aggregator?.stop();
    await this.nats?.stop();
    await this.redis?.stop();
    await this.ledger?.stop();
  }
}

/** Waits until an orchestrator child prints its leader line (its gRPC address); fails if it exits first. */
export async function waitForLeader(c: CliChild, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void c.exited.then(() => (exited = true));
  for (;;) {
    const line = c.lines.find((l) => typeof l.grpc === 'string');
    if (line) return line;
    if (exited) throw new Error(`${c.name} exited before it led`);
    if (Date.now() > deadline) throw new Error(`${c.name} did not lead within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
