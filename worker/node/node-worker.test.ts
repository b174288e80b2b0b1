import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts, type Artifacts } from '../../circuits/ceremony/setup.ts';
import { fundedLedger } from '../../circuits/model/test-fixtures.ts';
import { planBatches, type PlannedProof } from '../../circuits/model/plan-batches.ts';
import { batchPublicSignals } from '../../circuits/model/batch-witness.ts';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { resultV1, type ResultV1 } from '../../protocol/messages/result.ts';
import type { JobV1 } from '../../protocol/messages/job.ts';
import { leaseKeyOfJob, leaseV1 } from '../../protocol/messages/work.ts';
import { artifactObjects, ensureTopology, type Topology } from '../../protocol/nats-topology.ts';
import { DEFAULT_DEPLOYMENT, natsNames } from '../../protocol/subjects.ts';
import { verifySignature } from '../../swarm/identity/ed25519.ts';
import { startMembershipService, type MembershipService } from '../../swarm/membership/membership-service.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { verifyProof } from '../prover/groth16-prover.ts';
import { releaseSnarkjs } from '../../circuits/snarkjs-runtime.ts';
import { startNodeWorker, type NodeWorker } from './node-worker.ts';
import { HalfGrants } from '../../aggregator/gateway/half-grants.ts';
import { gatewayShareObject } from '../../protocol/messages/half.ts';
import { encodeSealed, sealTo } from '../../swarm/sealing/hpke-seal.ts';
import { generateSealKeyPair, type SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { JobGateway } from '../../aggregator/gateway/job-gateway.ts';
import { testLogger } from '../../test/support/test-logger.ts';

/** The deployment the swarm under test runs as (the default). */
const NATS = natsNames(DEFAULT_DEPLOYMENT);

const log = testLogger('worker-test');
let server: TestNatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let topo: Topology;
let artifacts: Artifacts;
let vkey: unknown;
/** Planned proofs of one transfer each (whatever k), chained, with `index` their place in this list. */
let proofs: PlannedProof[];
let dir: string;
/** The aggregator's job gateway: the workers' only way to the jobs. */
let gateway: JobGateway;
let members: MembershipService;
/** The gateway's seal key: whole jobs' inputs are sealed to it. */
let gatewaySeal: SealKeyPair;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const newBatchId = () => `0x${randomBytes(32).toString('hex')}`;

/** The circuit inputs of each job built here, sealed to the gateway when the job is published. */
const inputs = new Map<string, Record<string, unknown>>();

function jobFor(t: PlannedProof, batchId: string, over: Partial<JobV1> = {}, input: Record<string, unknown> = t.input): JobV1 {
  const now = Date.now();
  const jobId = over.jobId ?? `${batchId}:${t.index}:1:1`;
  inputs.set(jobId, input);
  return {
    v: 1,
    jobId,
    batchId,
    index: t.index,
    planVersion: 1,
    attempt: 1,
    circuit: 'transfer',
    artifact: artifacts.manifest.zkeyHash,
    sealed: { object: gatewayShareObject(jobId), bytes: 1 },
    enqueuedMs: now,
    ...over,
  };
}

/** Publishes a job; a whole job's inputs are sealed to the gateway's key and stored first, as the dispatcher does. */
async function publishJob(job: JobV1 | string): Promise<void> {
  const input = typeof job === 'string' ? undefined : inputs.get(job.jobId);
  if (typeof job !== 'string' && input) {
    const utf8 = (x: string) => new TextEncoder().encode(x);
    const box = encodeSealed(await sealTo(gatewaySeal.publicKeyHex, utf8(JSON.stringify(input)), utf8(job.jobId)));
    await topo.shares.putBlob({ name: job.sealed.object }, box);
    job = { ...job, sealed: { ...job.sealed, bytes: box.byteLength } };
  }
  await js.publish(NATS.jobSubject('transfer'), typeof job === 'string' ? job : JSON.stringify(job));
}

/** Takes `n` results from the aggregator's intake consumer (acking them), as the aggregator would. */
async function takeResults(n: number, timeoutMs = 90_000): Promise<ResultV1[]> {
  const consumer = await js.consumers.get(NATS.resultsStream, NATS.intakeConsumer);
  const out: ResultV1[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out: ${out.length} of ${n} results`);
    const batch = await consumer.fetch({ max_messages: n - out.length, expires: 2_000 });
    for await (const m of batch) {
      out.push(resultV1.parse(m.json()));
      m.ack();
    }
  }
  return out;
}

/** Jobs neither delivered nor waiting for an ack on the shared `provers` consumer. */
async function proversSettled(): Promise<boolean> {
  const ci = await topo.jsm.consumers.info(NATS.jobsStream, NATS.proversConsumer);
  return ci.num_pending === 0 && ci.num_ack_pending === 0;
}

async function expectValidResult(r: ResultV1, workerId: string, expectedSignals: string[]): Promise<void> {
  const { signature, ...unsigned } = r;
  expect(r.workerId).toBe(workerId);
  expect(verifySignature(workerId, canonicalBytes(unsigned), signature)).toBe(true);
  expect(r.publicSignals).toEqual(expectedSignals);
  expect(await verifyProof(vkey, r.publicSignals, r.proof)).toBe(true);
  expect(r.finishedMs).toBeGreaterThanOrEqual(r.startedMs);
  // Proved under the job's lease, granted by the gateway to this worker.
  const lease = leaseV1.parse((await topo.leases.get(leaseKeyOfJob(r.jobId)))!.json());
  expect(lease).toMatchObject({ leaseId: r.leaseId, workerId });
}

function startWorker(name: string, over: Partial<Parameters<typeof startNodeWorker>[0]> = {}): Promise<NodeWorker> {
  return startNodeWorker({
    natsUrl: server.url,
    keyFile: join(dir, `${name}.json`),
    threads: 2,
    heartbeatMs: 500,
    retryDelayMs: 60_000,
    log: log.child({ test: name }),
    ...over,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drex-worker-test-'));
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  js = jetstream(nc);
  topo = await ensureTopology(nc, { jobAckWaitMs: 6_000, jobMaxDeliver: 5 });
  const consumer = await js.consumers.get(NATS.jobsStream, NATS.proversConsumer);
  gatewaySeal = await generateSealKeyPair();
  // Whole jobs go to trusted workers only: every worker of this test is.
  const halves = new HalfGrants({ splits: topo.splits, shares: topo.shares, sealKey: gatewaySeal });
  members = await startMembershipService({ nc, names: NATS });
  gateway = new JobGateway({ nc, names: NATS, consumer, leases: topo.leases, members, halves, trustedWorkers: () => true, log: testLogger('worker-test-gateway'), registry: new Registry() });
  await gateway.start();
  artifacts = await ensureArtifacts();
  vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8'));
  const names = artifactObjects(artifacts.manifest.zkeyHash);
  await topo.artifacts.putBlob({ name: names.zkey }, readFileSync(artifacts.zkey));
  await topo.artifacts.putBlob({ name: names.wasm }, readFileSync(artifacts.wasm));
  await topo.artifacts.putBlob({ name: names.vkey }, readFileSync(artifacts.vkey));
  await topo.artifacts.putBlob({ name: names.manifest }, Buffer.from(JSON.stringify(artifacts.manifest)));
  const { k, depth, nullDepth } = artifacts.manifest;
  const f = await fundedLedger({ k, depth, nullDepth });
  proofs = [
    f.intent(f.alice, f.bob.owner, 100n),
    f.intent(f.bob, f.carol.owner, 50n),
    f.intent(f.alice, f.carol.owner, 70n),
    f.intent(f.carol, f.bob.owner, 20n),
    f.intent(f.bob, f.alice.owner, 10n),
    f.intent(f.alice, f.bob.owner, 5n),
  ].map((signed, index) => ({ ...planBatches(f.crypto, f.ledger, f.params, [{ signed }]).proofs[0]!, index }));
});

afterAll(async () => {
  await gateway?.stop();
  await members?.stop();
  await nc?.close();
  await server?.stop();
  await releaseSnarkjs();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('node worker against a real nats-server', () => {
  let worker: NodeWorker;

  beforeAll(async () => {
    worker = await startWorker('main', { metricsPort: 0 });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('is in the membership with a signed entry while running', async () => {
    const entry = members.member(worker.id)!;
    const { signature, ...unsigned } = entry;
    expect(entry.workerId).toBe(worker.id);
    expect(entry.capabilities).toMatchObject({ runtime: 'node', threads: 2, gpu: false, tee: false, msmBackend: 'wasm' });
    expect(verifySignature(worker.id, canonicalBytes(unsigned), signature)).toBe(true);
    // The heartbeat refreshes it.
    await until('a newer heartbeat', async () => members.member(worker.id)!.hlc.wallMs > entry.hlc.wallMs);
  });

  it('proves real jobs on 2 threads and publishes signed, verifiable results, then acks the jobs', async () => {
    const batchId = newBatchId();
    const jobs = proofs.slice(0, 3).map((t) => jobFor(t, batchId));
    for (const j of jobs) await publishJob(j);
    const results = await takeResults(3);
    expect(results.map((r) => r.jobId).sort()).toEqual(jobs.map((j) => j.jobId).sort());
    for (const r of results) {
      expect(r.batchId).toBe(batchId);
      await expectValidResult(r, worker.id, batchPublicSignals(proofs[r.index]!.public));
    }
    await until('the jobs stream to be empty', async () => (await topo.jsm.streams.info(NATS.jobsStream)).state.messages === 0);
    expect(worker.stats().proved).toBe(3);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/drex_worker_jobs_proved_total\{runtime="node"\} 3/);
    expect(metrics).toMatch(/drex_worker_prove_seconds_count\{runtime="node"\} 3/);
  });

  it('terminates malformed jobs, proves a job however long it waited, refuses inputs the circuit rejects, and keeps proving', async () => {
    const batchId = newBatchId();
    const t = proofs[3]!;
    await publishJob('{ this is not json');
    await publishJob(JSON.stringify({ ...jobFor(t, batchId), artifact: 'nope', index: -1 }));
    await publishJob(jobFor(t, batchId, { jobId: 'waited-an-hour', enqueuedMs: Date.now() - 3_600_000 }));
    await publishJob(jobFor(t, batchId, { jobId: 'refused' }, { ...t.input, amount: (t.input.amount as string[]).map((a, s) => (s === 0 ? String(BigInt(a) + 1n) : a)) }));
    await publishJob(jobFor(t, batchId));
    const results = await takeResults(2);
    expect(results.map((r) => r.jobId).sort()).toEqual([jobFor(t, batchId).jobId, 'waited-an-hour'].sort());
    for (const r of results) await expectValidResult(r, worker.id, batchPublicSignals(t.public));
    await until('every job to be settled', proversSettled);
    expect(worker.stats().failed).toMatchObject({ malformed: 2, witness: 1 });
    const metrics = await worker.metrics.registry.getSingleMetricAsString('drex_worker_jobs_failed_total');
    expect(metrics).toMatch(/reason="malformed"[^\n]* 2/);
    expect(metrics).toMatch(/reason="witness"[^\n]* 1/);
  });

  it('refuses an artifact set whose bytes do not match its hash and hands the job back (nak, not ack)', async () => {
    const fake = randomBytes(32).toString('hex');
    const names = artifactObjects(fake);
    await topo.artifacts.putBlob({ name: names.zkey }, readFileSync(artifacts.zkey));
    await topo.artifacts.putBlob({ name: names.wasm }, readFileSync(artifacts.wasm));
    await topo.artifacts.putBlob({ name: names.manifest }, Buffer.from(JSON.stringify({ ...artifacts.manifest, zkeyHash: fake })));
    const failedBefore = worker.stats().failed.artifact ?? 0;
    await publishJob(jobFor(proofs[3]!, newBatchId(), { artifact: fake }));
    await until('the artifact refusal', () => (worker.stats().failed.artifact ?? 0) > failedBefore);
    // Nak'ed with a delay: still in the stream, waiting to be redelivered, not acked.
    const ci = await topo.jsm.consumers.info(NATS.jobsStream, NATS.proversConsumer);
    expect(ci.num_ack_pending + ci.num_pending).toBe(1);
    expect(worker.stats().artifacts).toEqual([artifacts.manifest.zkeyHash]);
    await topo.jsm.streams.purge(NATS.jobsStream);
  });
});

describe('graceful drain', () => {
  it('finishes the job in hand on stop(), publishes its result and leaves the membership', async () => {
    // A drain that outlasts the proof however slow the machine (the default 30 s did not, on a loaded one).
    const worker = await startWorker('drain', { threads: 1, drainTimeoutMs: 600_000 });
    const batchId = newBatchId();
    const job = jobFor(proofs[4]!, batchId);
    await publishJob(job);
    await until('the job to be in hand', () => worker.stats().inHand === 1);
    await worker.stop();
    expect(worker.stats().proved).toBe(1);
    const [r] = await takeResults(1, 10_000);
    expect(r!.jobId).toBe(job.jobId);
    await expectValidResult(r!, worker.id, batchPublicSignals(proofs[4]!.public));
    expect(await proversSettled()).toBe(true);
    // It left: its last entry expires within a second everywhere.
    await until('the worker to leave the membership', async () => members.member(worker.id) === undefined);
  }, 600_000);

  it('hands the job back at the drain timeout so that another worker proves it: nothing lost', async () => {
    const first = await startWorker('timeout', { threads: 1, drainTimeoutMs: 0 });
    const batchId = newBatchId();
    const job = jobFor(proofs[5]!, batchId);
    await publishJob(job);
    await until('the job to be in hand', () => first.stats().inHand === 1);
    await first.stop();
    expect(first.stats().proved).toBe(0);
    const second = await startWorker('successor', { threads: 1 });
    try {
      const [r] = await takeResults(1);
      expect(r!.jobId).toBe(job.jobId);
      await expectValidResult(r!, second.id, batchPublicSignals(proofs[5]!.public));
      await until('every job to be settled', proversSettled);
    } finally {
      await second.stop();
    }
  });
});
