import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bn254 } from '@noble/curves/bn254.js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HalfGrants } from '../../aggregator/gateway/half-grants.ts';
import { JobGateway } from '../../aggregator/gateway/job-gateway.ts';
import { ensureArtifacts, type Artifacts } from '../../circuits/ceremony/setup.ts';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { SCALAR_ORDER } from '../../protocol/bn254.ts';
import { gatewayShareObject, halfJobId, halfResultV1, speculativeHalfJobId, type HalfJobV1, type HalfResultV1, type MsmPointsJson } from '../../protocol/messages/half.ts';
import { leaseKeyOfJob, leaseV1 } from '../../protocol/messages/work.ts';
import { artifactObjects, CURRENT_ARTIFACT_OBJECT, ensureTopology, type Topology } from '../../protocol/nats-topology.ts';
import { DEFAULT_DEPLOYMENT, natsNames } from '../../protocol/subjects.ts';
import { decodeMsmPoints, encodeMsmPoints, msmStage, readProvingKey, releaseProverCurve, type ProvingKey } from '../../prover/index.ts';
import { encodeHalfScalars, type HalfScalars } from '../../prover/share-codec.ts';
import { generateIdentity, verifySignature } from '../../swarm/identity/ed25519.ts';
import { encodeSealed, sealTo } from '../../swarm/sealing/hpke-seal.ts';
import { generateSealKeyPair, type SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { startMembershipService, type MembershipService } from '../../swarm/membership/membership-service.ts';
import { announceMember } from '../../swarm/membership/test-support/announce-member.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { createArtifactCache } from '../runtime/artifact-cache.ts';
import { gatewayDelivery } from '../runtime/delivery.ts';
import { GatewayClient } from '../runtime/gateway-client.ts';
import type { HalfProver } from '../runtime/half-job-runner.ts';
import { runJob, type JobContext } from '../runtime/job-runner.ts';
import { createWorkerMetrics } from '../runtime/metrics.ts';
import { createProvingKeyCache } from '../runtime/proving-key-cache.ts';
import { shareAad } from '../runtime/share-reader.ts';
import { startNodeWorker, type NodeWorker } from './node-worker.ts';

/** The deployment the swarm under test runs as (the default). */
const NATS = natsNames(DEFAULT_DEPLOYMENT);

const log = testLogger('half-worker-test');
let server: TestNatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let topo: Topology;
let artifacts: Artifacts;
let pk: ProvingKey;
let dir: string;
/** The aggregator's job gateway, with split proving: it re-seals each granted half's share to its taker. */
let gateway: JobGateway;
let members: MembershipService;
/** The gateway's seal key: the witness generator seals shares to it. */
let gatewayKey: SealKeyPair;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const utf8 = (s: string) => new TextEncoder().encode(s);
const newBatchId = () => `0x${randomBytes(32).toString('hex')}`;

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** `n` random scalars below r, 32 bytes little-endian each: what one half of a sharing looks like. */
function randomScalars(n: number): Uint8Array {
  const out = new Uint8Array(n * 32);
  for (let i = 0; i < n; i++) {
    let v = BigInt(`0x${randomBytes(32).toString('hex')}`) % SCALAR_ORDER;
    for (let j = 0; j < 32; j++, v >>= 8n) out[i * 32 + j] = Number(v & 0xffn);
  }
  return out;
}

const randomHalf = (): HalfScalars => ({ witness: randomScalars(pk.nVars), quotient: randomScalars(pk.domainSize) });

/** The five points the half's MSMs must give, computed here with the prover directly. */
async function expectedPoints(h: HalfScalars): Promise<MsmPointsJson> {
  return encodeMsmPoints(await msmStage(pk, { witness: h.witness.slice(), quotient: h.quotient.slice() }));
}

/**
 * Publishes a half job as the witness generator does: its share sealed to the gateway's key, bound to the
 * half job id, in the shares store.
 */
async function publishHalf(h: HalfScalars, batchId: string, over: Partial<HalfJobV1> = {}): Promise<HalfJobV1> {
  const proofId = `${batchId}.v1.t0.a1`;
  const jobId = halfJobId(proofId, 0);
  const box = encodeSealed(await sealTo(gatewayKey.publicKeyHex, encodeHalfScalars(h), utf8(jobId)));
  const object = gatewayShareObject(jobId);
  await topo.shares.putBlob({ name: object }, box);
  const job: HalfJobV1 = {
    v: 1,
    kind: 'half',
    jobId,
    proofId,
    half: 0,
    batchId,
    index: 0,
    planVersion: 1,
    attempt: 1,
    circuit: 'transfer',
    artifact: artifacts.manifest.zkeyHash,
    share: { object, bytes: box.byteLength },
    deadlineMs: 120_000,
    enqueuedMs: Date.now(),
    ...over,
  };
  await js.publish(NATS.halfJobSubject, JSON.stringify(job));
  return job;
}

/** Takes `n` results from the aggregator's intake consumer (acking them), as the aggregator would. */
async function takeHalfResults(n: number, timeoutMs = 120_000): Promise<HalfResultV1[]> {
  const consumer = await js.consumers.get(NATS.resultsStream, NATS.intakeConsumer);
  const out: HalfResultV1[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out: ${out.length} of ${n} results`);
    const batch = await consumer.fetch({ max_messages: n - out.length, expires: 2_000 });
    for await (const m of batch) {
      out.push(halfResultV1.parse(m.json()));
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

/** Whether any result was published for batch `batchId`. */
async function anyResultFor(batchId: string): Promise<boolean> {
  const si = await topo.jsm.streams.info(NATS.resultsStream, { subjects_filter: NATS.resultSubject(batchId) });
  return Object.keys(si.state.subjects ?? {}).length > 0;
}

function expectSignedBy(r: HalfResultV1, workerId: string): void {
  const { signature, ...unsigned } = r;
  expect(r.workerId).toBe(workerId);
  expect(verifySignature(workerId, canonicalBytes(unsigned), signature)).toBe(true);
}

function startWorker(name: string, over: Partial<Parameters<typeof startNodeWorker>[0]> = {}): Promise<NodeWorker> {
  return startNodeWorker({
    natsUrl: server.url,
    keyFile: join(dir, `${name}.json`),
    threads: 1,
    heartbeatMs: 500,
    retryDelayMs: 60_000,
    log: log.child({ test: name }),
    ...over,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drex-half-worker-test-'));
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  js = jetstream(nc);
  topo = await ensureTopology(nc, { jobAckWaitMs: 6_000, jobMaxDeliver: 5 });
  gatewayKey = await generateSealKeyPair();
  const consumer = await js.consumers.get(NATS.jobsStream, NATS.proversConsumer);
  members = await startMembershipService({ nc, names: NATS });
  gateway = new JobGateway({
    nc,
    names: NATS,
    consumer,
    leases: topo.leases,
    members,
    log: testLogger('half-worker-test-gateway'),
    registry: new Registry(),
    halves: new HalfGrants({ splits: topo.splits, shares: topo.shares, sealKey: gatewayKey }),
  });
  await gateway.start();
  artifacts = await ensureArtifacts();
  const names = artifactObjects(artifacts.manifest.zkeyHash);
  await topo.artifacts.putBlob({ name: names.zkey }, readFileSync(artifacts.zkey));
  await topo.artifacts.putBlob({ name: names.wasm }, readFileSync(artifacts.wasm));
  await topo.artifacts.putBlob({ name: names.vkey }, readFileSync(artifacts.vkey));
  await topo.artifacts.putBlob({ name: names.manifest }, Buffer.from(JSON.stringify(artifacts.manifest)));
  pk = await readProvingKey(readFileSync(artifacts.zkey));
});

afterAll(async () => {
  await gateway?.stop();
  await members?.stop();
  await nc?.close();
  await server?.stop();
  await releaseProverCurve();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a node worker answering half jobs', () => {
  let worker: NodeWorker;

  beforeAll(async () => {
    worker = await startWorker('honest', { operator: 'operator-a' });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('declares its seal key and operator in its signed membership entry', async () => {
    // The replica checked the entry's signature before holding it; checked again here.
    const entry = members.member(worker.id)!;
    const { signature, ...unsigned } = entry;
    expect(entry.capabilities.sealKey).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.operator).toBe('operator-a');
    expect(verifySignature(worker.id, canonicalBytes(unsigned), signature)).toBe(true);
  });

  it('opens the share re-sealed to it and answers with the half\'s five points, signed, under its lease; then acks', async () => {
    const h = randomHalf();
    const batchId = newBatchId();
    const [job, expected] = await Promise.all([publishHalf(h, batchId), expectedPoints(h)]);
    const [r] = await takeHalfResults(1);
    expect(r).toMatchObject({ kind: 'half', jobId: job.jobId, batchId, index: job.index });
    expectSignedBy(r!, worker.id);
    expect(r!.points).toEqual(expected);
    expect(r!.msmMs).toBeGreaterThan(0);
    expect(r!.finishedMs).toBeGreaterThanOrEqual(r!.startedMs);
    // Answered under the lease the gateway granted it, and acked once the result was stored.
    const lease = async () => leaseV1.parse((await topo.leases.get(leaseKeyOfJob(job.jobId)))!.json());
    expect(await lease()).toMatchObject({ leaseId: r!.leaseId, workerId: worker.id });
    await until('the half job to be acked', async () => (await lease()).state === 'acked');
    await until('the half job to be settled', proversSettled);
    expect(worker.stats()).toMatchObject({ halves: 1, proved: 0 });
    const metrics = await worker.metrics.registry.getSingleMetricAsString('drex_worker_halves_answered_total');
    expect(metrics).toMatch(/ 1$/m);
  });

  it('terminates a malformed half job and one of an unknown kind, and publishes nothing for them', async () => {
    const batchId = newBatchId();
    const before = worker.stats().failed.malformed ?? 0;
    await js.publish(NATS.halfJobSubject, JSON.stringify({ v: 1, kind: 'half', jobId: 'bad.h0', batchId, index: 0 }));
    await js.publish(NATS.halfJobSubject, JSON.stringify({ v: 1, kind: 'third', jobId: 'odd.h0', batchId }));
    await until('both terminations', () => (worker.stats().failed.malformed ?? 0) === before + 2);
    await until('the jobs to be settled', proversSettled);
    expect(await anyResultFor(batchId)).toBe(false);
  });
});

describe('a node worker with the wrong-point fault', () => {
  it('answers with a + G in place of a: a well-formed, signed result whose a is a valid G1 point, the other points right', async () => {
    const worker = await startWorker('liar', { fault: 'wrong-point' });
    try {
      const h = randomHalf();
      const [job, expected] = await Promise.all([publishHalf(h, newBatchId()), expectedPoints(h)]);
      const [r] = await takeHalfResults(1);
      expect(r!.jobId).toBe(job.jobId);
      expectSignedBy(r!, worker.id);
      expect({ ...r!.points, A: expected.A }).toEqual(expected);
      // The aggregator's decoder accepts it: every point is well formed and on its curve.
      expect(() => decodeMsmPoints(r!.points)).not.toThrow();
      const G1 = bn254.G1.Point;
      const point = (p: [string, string]) => G1.fromAffine({ x: BigInt(`0x${p[0]}`), y: BigInt(`0x${p[1]}`) });
      const a = point(r!.points.A);
      a.assertValidity();
      expect(a.equals(point(expected.A).add(G1.BASE))).toBe(true);
      await until('the half job to be settled', proversSettled);
    } finally {
      await worker.stop();
    }
  });
});

describe('the half-job runner over a real gateway lease', () => {
  /** A member of the swarm that takes jobs itself, to hand the runner a real delivery. */
  let member: ReturnType<typeof generateIdentity>['identity'];
  let memberKey: SealKeyPair;
  let client: GatewayClient;
  let ctx: JobContext;

  /** An in-process half prover: msmStage on this thread. */
  const inProcess: HalfProver = {
    async msm(_hash, key, scalars) {
      const t0 = performance.now();
      const points = await msmStage(key.pk, scalars);
      return { points: encodeMsmPoints(points), msmMs: performance.now() - t0 };
    },
  };

  /** Announces `member`'s signed entry, declaring its seal key. */
  const enter = () => announceMember(nc, NATS, member, { capabilities: { sealKey: memberKey.publicKeyHex } });

  beforeAll(async () => {
    member = generateIdentity().identity;
    memberKey = await generateSealKeyPair();
    client = new GatewayClient({ nc, names: NATS, identity: member });
    const cache = createArtifactCache(topo.artifacts, log);
    ctx = {
      names: NATS,
      identity: member,
      js,
      artifacts: cache,
      prover: { prove: () => Promise.reject(new Error('no whole jobs in this test')) },
      halfProver: inProcess,
      provingKeys: createProvingKeyCache(cache),
      shares: topo.shares,
      sealKey: memberKey,
      metrics: createWorkerMetrics(),
      log,
      retryDelayMs: 60_000,
    };
  });

  /** Publishes a half and takes it through the gateway: the grant carries the share re-sealed to `member`. */
  async function takeHalf(batchId: string) {
    const job = await publishHalf(randomHalf(), batchId);
    await enter();
    const taken = await until('the half to be granted', async () => {
      const t = await client.take(1, 2_000);
      return t.jobs.length > 0 && t;
    });
    const granted = taken.jobs[0]!;
    expect(granted.share).toBeDefined();
    return { job, granted, ackWaitMs: taken.ackWaitMs };
  }

  async function expectTerminated(jobId: string, batchId: string): Promise<void> {
    await client.settled();
    expect(await topo.leases.get(leaseKeyOfJob(jobId)).then((e) => e?.operation ?? null)).not.toBe('PUT');
    await until('the half job to be settled', proversSettled);
    expect(await anyResultFor(batchId)).toBe(false);
  }

  it('terminates a half whose share is sealed to another key, with a reason, and publishes nothing', async () => {
    const batchId = newBatchId();
    const { job, granted, ackWaitMs } = await takeHalf(batchId);
    const other = await generateSealKeyPair();
    const box = encodeSealed(await sealTo(other.publicKeyHex, encodeHalfScalars(randomHalf()), shareAad(granted.leaseId)));
    await topo.shares.putBlob({ name: granted.share!.object }, box);
    const d = gatewayDelivery(client, { ...granted, share: { object: granted.share!.object, bytes: box.byteLength } }, ackWaitMs, log);
    const terms: string[] = [];
    const watched = { ...d, term: (reason: string) => (terms.push(reason), d.term(reason)) };
    expect(await runJob({ delivery: watched, abandoned: false }, ctx)).toBe('share');
    expect(terms).toEqual([expect.stringMatching(/^share not usable: share lease\/\S+ does not open with this worker's seal key/)]);
    await expectTerminated(job.jobId, batchId);
  });

  it('terminates a half whose share is sealed to its key for another lease, or is not in the store', async () => {
    const batchId = newBatchId();
    const first = await takeHalf(batchId);
    const box = encodeSealed(await sealTo(memberKey.publicKeyHex, encodeHalfScalars(randomHalf()), shareAad(`${first.granted.leaseId}.other`)));
    await topo.shares.putBlob({ name: first.granted.share!.object }, box);
    const d1 = gatewayDelivery(client, { ...first.granted, share: { object: first.granted.share!.object, bytes: box.byteLength } }, first.ackWaitMs, log);
    expect(await runJob({ delivery: d1, abandoned: false }, ctx)).toBe('share');
    await expectTerminated(first.job.jobId, batchId);

    const second = newBatchId();
    const missing = await takeHalf(second);
    const d2 = gatewayDelivery(client, { ...missing.granted, share: { object: 'lease/nothing-here', bytes: 100 } }, missing.ackWaitMs, log);
    expect(await runJob({ delivery: d2, abandoned: false }, ctx)).toBe('share');
    await expectTerminated(missing.job.jobId, second);
  });

  it('answers a half granted to it, with the points msmStage gives', async () => {
    const batchId = newBatchId();
    const h = randomHalf();
    const job = await publishHalf(h, batchId);
    await enter();
    const taken = await until('the half to be granted', async () => {
      const t = await client.take(1, 2_000);
      return t.jobs.length > 0 && t;
    });
    const d = gatewayDelivery(client, taken.jobs[0]!, taken.ackWaitMs, log);
    expect(await runJob({ delivery: d, abandoned: false }, ctx)).toBe('answered');
    const [r] = await takeHalfResults(1);
    expect(r).toMatchObject({ jobId: job.jobId, leaseId: d.leaseId });
    expectSignedBy(r!, member.id);
    expect(r!.points).toEqual(await expectedPoints(h));
    await until('the half job to be settled', proversSettled);
  });
});

describe('speculative re-issue of a straggler\'s half', () => {
  it('offers a copy to a fast worker past half the deadline: the copy\'s answer is kept, the straggler\'s lease cancelled', async () => {
    // A gateway that speculates at half a half's deadline (the one above does not).
    await gateway.stop();
    const registry = new Registry();
    gateway = new JobGateway({
      nc, names: NATS, consumer: await js.consumers.get(NATS.jobsStream, NATS.proversConsumer), leases: topo.leases, members,
      log: testLogger('half-worker-test-speculating-gateway'), registry,
      halves: new HalfGrants({ splits: topo.splits, shares: topo.shares, sealKey: gatewayKey }),
      speculation: { halves: topo.halves, at: 0.5 },
    });
    await gateway.start();
    // The fast worker measures itself on the current proving key at start.
    await topo.artifacts.putBlob({ name: CURRENT_ARTIFACT_OBJECT }, Buffer.from(JSON.stringify({ zkeyHash: artifacts.manifest.zkeyHash })));
    const straggler = await startWorker('straggler', { fault: 'stall' });
    let fast: NodeWorker | undefined;
    try {
      const h = randomHalf();
      const [job, expected] = await Promise.all([publishHalf(h, newBatchId(), { deadlineMs: 40_000 }), expectedPoints(h)]);
      await until('the straggler to hold the half', () => straggler.stats().inHand === 1);
      fast = await startWorker('fast', { benchmark: true });
      expect(fast.stats().benchmark).toMatchObject({ artifact: artifacts.manifest.zkeyHash });
      expect(members.member(fast.id)!.score).toBeGreaterThan(0);
      const [r] = await takeHalfResults(1, 120_000);
      expect(r!.jobId).toBe(speculativeHalfJobId(job.jobId));
      expectSignedBy(r!, fast.id);
      expect(r!.points).toEqual(expected);
      // The straggler's next progress signal finds the half answered: its lease is cancelled, its delivery terminated.
      await until('the straggler to let go', () => straggler.stats().inHand === 0, 30_000);
      expect(straggler.stats()).toMatchObject({ halves: 0, failed: { lease_lost: 1 } });
      await until('both deliveries to be settled', proversSettled, 30_000);
      const count = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
      expect(await count('drex_gateway_speculative_copies_total')).toBe(1);
      expect(await count('drex_gateway_speculation_cancelled_total')).toBe(1);
    } finally {
      await straggler.stop();
      await fast?.stop();
    }
  }, 300_000);
});
