import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { parseCreds } from '@nats-io/jwt';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { BankClient } from '../../cli/bank/bank-client.ts';
import { sampleIntents } from '../../cli/bank/sample-intents.ts';
import { startDevnet, type Devnet } from '../../cli/devnet/devnet.ts';
import { AdmissionStore } from '../../orchestrator/admission/admission-store.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { natsNames } from '../../protocol/subjects.ts';
import { loadOrCreateIdentity } from '../../swarm/identity/ed25519.ts';
import { credsConnectOptions } from '../../swarm/nats-auth/connect.ts';
import { loadAdmissionKeys } from '../../swarm/nats-auth/nats-security.ts';
import { rolePermissions } from '../../swarm/nats-auth/role-permissions.ts';
import { issueUserJwt, writeCredsFile } from '../../swarm/nats-auth/user-credentials.ts';
import { userKeyFromEd25519Seed } from '../../swarm/nats-auth/nkey-codec.ts';

/**
 * A client holding worker credentials attacks the control plane of a real devnet (nats-server in
 * operator mode with the generated configuration) while a batch runs: every forbidden action is refused
 * by the server, and the batch settles unaffected.
 */
describe('the NATS trust boundary', () => {
  let net: Devnet;
  let attacker: NatsConnection;
  let batch: Promise<string | undefined>;
  const violations: string[] = [];

  beforeAll(async () => {
    net = await startDevnet({ workers: 2, threads: 1, workerBenchmark: false, grpcPort: 0, httpPort: 0, dir: mkdtempSync(join(tmpdir(), 'drex-attack-')), ownServices: true, ledger: 'embedded', genesis: false });
    attacker = await connect({ servers: net.endpoints.nats, reconnect: false, ...(await credsConnectOptions(net.creds.worker)) });
    void (async () => {
      for await (const s of attacker.status()) if (s.type === 'error') violations.push(String((s as { error?: Error }).error?.message));
    })();
    const crypto = await loadCrypto();
    const client = new BankClient({ address: net.endpoints.grpc, bankId: 'central-bank', identity: devBankIdentity('central-bank') });
    const res = await client.submit(sampleIntents(crypto, (await client.deployment()).domain, 'central-bank', 2), `attack-${Date.now()}`);
    batch = client
      .watch(res.batchId, () => {}, { finalStates: new Set(['SETTLED', 'FAILED']) })
      .then((events) => events.at(-1)?.state)
      .finally(() => client.close());
  }, 300_000);

  afterAll(async () => {
    await attacker?.close().catch(() => {});
    await net?.stop();
  });

  const refused = async (what: string, attempt: () => Promise<unknown>) => {
    await expect(attempt(), what).rejects.toThrow(/Permissions Violation/);
  };

  it('refuses every forbidden publish, JetStream API call, KV and object-store write', async () => {
    const N = natsNames(net.deployment);
    const js = jetstream(attacker);
    const batchId = `0x${'ab'.repeat(32)}`;
    // Every stream's subjects other than results.
    await refused('publish a job', () => js.publish(N.jobSubject('transfer'), '{}'));
    await refused('publish a verdict', () => js.publish(N.verdictSubject(batchId), '{}'));
    await refused('publish a ready batch', () => js.publish(N.readySubject(batchId), '{}'));
    await refused('publish a settlement outcome', () => js.publish(N.settledSubject, '{}'));
    // JetStream management and other consumers.
    const api = (subject: string, body = '') => attacker.request(subject, body, { timeout: 3000 });
    for (const stream of [N.jobsStream, N.resultsStream, N.verdictsStream, N.readyStream, N.settledStream]) {
      await refused(`delete ${stream}`, () => api(`$JS.API.STREAM.DELETE.${stream}`));
      await refused(`purge ${stream}`, () => api(`$JS.API.STREAM.PURGE.${stream}`));
      await refused(`update ${stream}`, () => api(`$JS.API.STREAM.UPDATE.${stream}`, JSON.stringify({ name: stream, subjects: ['x.>'] })));
      await refused(`create a consumer on ${stream}`, () => api(`$JS.API.CONSUMER.CREATE.${stream}`, JSON.stringify({ stream_name: stream, config: { ack_policy: 'explicit' } })));
    }
    await refused('create a stream', () => api('$JS.API.STREAM.CREATE.EVIL', JSON.stringify({ name: 'EVIL', subjects: ['evil.>'] })));
    await refused("pull from the aggregator's intake", () => api(`$JS.API.CONSUMER.MSG.NEXT.${N.resultsStream}.${N.intakeConsumer}`, JSON.stringify({ batch: 1 })));
    await refused("pull from the orchestrator's verdicts", () => api(`$JS.API.CONSUMER.MSG.NEXT.${N.verdictsStream}.${N.stateConsumer}`, JSON.stringify({ batch: 1 })));
    await refused('pull ready batches', () => api(`$JS.API.CONSUMER.MSG.NEXT.${N.readyStream}.${N.settleConsumer}`, JSON.stringify({ batch: 1 })));
    await refused('pull jobs from the provers consumer (only the job gateway may)', () => api(`$JS.API.CONSUMER.MSG.NEXT.${N.jobsStream}.${N.proversConsumer}`, JSON.stringify({ batch: 1 })));
    await refused("ack, nak or terminate a job delivery", () => api(`$JS.ACK.${N.jobsStream}.${N.proversConsumer}.1.1.1.1.0`, '+ACK'));
    await refused('delete the provers consumer', () => api(`$JS.API.CONSUMER.DELETE.${N.jobsStream}.${N.proversConsumer}`));
    await refused('read account info', () => api('$JS.API.ACCOUNT.INFO'));
    // KV and object-store writes: job expectations, another worker's membership, the artifacts.
    await refused('overwrite a job expectation', () => js.publish(`$KV.${N.jobsBucket}.somejob`, '{}'));
    await refused('write a job lease', () => js.publish(`$KV.${N.leasesBucket}.j.x`, '{}'));
    // Membership: only a worker's own announcements; gossip and anti-entropy are the replicas'.
    await refused("announce another worker's membership entry", () => api(N.membersAnnounce('cd'.repeat(32), 'cd'.repeat(32)), '{}'));
    const self = (JSON.parse(readFileSync(join(dirname(dirname(net.creds.worker)), 'creds', 'worker.key.json'), 'utf8')) as { id: string }).id;
    await refused('announce itself under another operator', () => api(N.membersAnnounce(self, 'another-operator'), '{}'));
    await refused('publish a membership delta', () => api(N.membersDelta, '{}'));
    await refused("ask a replica's membership digest", () => api(N.membersSyncAny, '{}'));
    await refused('write an artifact chunk', () => js.publish(`$O.${N.artifactsBucket}.C.evil`, 'x'));
    await refused('write artifact metadata', () => js.publish(`$O.${N.artifactsBucket}.M.evil`, '{}'));
    // What it may do: publish a result.
    await expect(js.publish(N.resultSubject(batchId), '{"forged":true}')).resolves.toMatchObject({ stream: N.resultsStream });
  });

  it('refuses subscriptions to advisories, jobs, verdicts and other inboxes', async () => {
    const N = natsNames(net.deployment);
    for (const subject of ['$JS.EVENT.ADVISORY.>', N.jobSubjects, N.verdictSubjects, N.readySubjects, '_INBOX.>', '>']) {
      const sub = attacker.subscribe(subject);
      await expect(sub.closed, subject).resolves.toBeInstanceOf(Error);
    }
    expect(violations.filter((v) => v.includes('Subscription')).length).toBeGreaterThanOrEqual(6);
  });

  it("opens the regulator API and portal only with the token devnet wrote to its state folder; its workers are listed", async () => {
    const http = net.endpoints.http!;
    const portal = net.portal!;
    expect(portal.url).toBe(`${http}/portal`);
    expect(statSync(portal.tokenFile).mode & 0o077).toBe(0);
    expect(readFileSync(portal.tokenFile, 'utf8').trim()).toBe(portal.token);
    const api = (token?: string) => fetch(`${http}/api/v1/workers`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect((await api()).status).toBe(401);
    expect((await api('x'.repeat(portal.token.length))).status).toBe(401);
    expect((await fetch(portal.url)).status).toBe(401);
    expect((await fetch(`${http}/metrics`)).status).toBe(200);
    let workers: { runtime: string; msmBackend: string | null; liveness: string }[] = [];
    for (let i = 0; i < 100 && workers.length < 2; i++) {
      const res = await api(portal.token);
      expect(res.status).toBe(200);
      workers = ((await res.json()) as { workers: typeof workers }).workers.filter((w) => w.liveness === 'live');
      if (workers.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(workers.map((w) => [w.runtime, w.msmBackend])).toEqual([['node', 'wasm'], ['node', 'wasm']]);
  });

  it('refuses connections without credentials and with expired credentials', async () => {
    await expect(connect({ servers: net.endpoints.nats, reconnect: false })).rejects.toThrow(/Authorization Violation/);
    const securityDir = dirname(dirname(net.creds.worker));
    const keys = loadAdmissionKeys(join(securityDir, 'admission'));
    const me = JSON.parse(readFileSync(join(securityDir, 'creds', 'worker.key.json'), 'utf8')) as { id: string; seed: string };
    const user = userKeyFromEd25519Seed(me.seed);
    const jwt = await issueUserJwt({
      name: me.id,
      user,
      account: keys.account.publicKey,
      signer: keys.accountSigner,
      permissions: rolePermissions('worker', natsNames(net.deployment), user.getPublicKey(), me.id),
      expiresAt: Math.floor(Date.now() / 1000) - 60,
    });
    const expired = join(securityDir, 'expired.creds');
    writeCredsFile(expired, jwt, user);
    await expect(connect({ servers: net.endpoints.nats, reconnect: false, ...(await credsConnectOptions(expired)) })).rejects.toThrow(/Authorization Violation|Expired/);
  });

  it('closes a revoked worker connection and refuses it afterwards; the batch settles unaffected', async () => {
    const closed = attacker.closed();
    const redis = new Redis(net.endpoints.redis);
    try {
      const id = loadOrCreateIdentity(join(dirname(net.creds.worker), 'worker.key.json')).id;
      expect((await parseCreds(readFileSync(net.creds.worker))).uc.name).toBe(id);
      await new AdmissionStore(redis, `drex:${net.deployment}:`).revoke(id);
    } finally {
      redis.disconnect();
    }
    await expect(closed).resolves.toMatchObject({ message: expect.stringMatching(/Revoked/) });
    await expect(connect({ servers: net.endpoints.nats, reconnect: false, ...(await credsConnectOptions(net.creds.worker)) })).rejects.toThrow(/Authorization Violation/);
    expect(await batch).toBe('SETTLED');
  }, 300_000);
});
