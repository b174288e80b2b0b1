import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { canonicalBytes } from '../../protocol/canonical.ts';
import type { JobExpectationV1 } from '../../protocol/messages/job.ts';
import type { UnsignedResultV1 } from '../../protocol/messages/result.ts';
import type { TakeReplyV1, WorkReplyV1 } from '../../protocol/messages/work.ts';
import { artifactObjects, ensureTopology, type Topology } from '../../protocol/nats-topology.ts';
import { generateIdentity, type Identity } from '../../swarm/identity/ed25519.ts';
import { signMessage } from '../../swarm/identity/signed-message.ts';
import { startMembershipService, type MembershipService } from '../../swarm/membership/membership-service.ts';
import { announceMember } from '../../swarm/membership/test-support/announce-member.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { provedDeposits } from '../test-batch.ts';
import { JobGateway } from '../gateway/job-gateway.ts';
import { ResultIntake } from './result-intake.ts';
import { REPUTATION_THRESHOLD } from '../../swarm/membership/reputation-score.ts';
import { VkeyCache } from './vkey-cache.ts';

let server: TestNatsServer;
let members: MembershipService;
let aggregatorId: string;
/** The second aggregator of the reputation test: replica A counts its records too. */
const second = generateIdentity().identity;
let nc: NatsConnection;
let topo: Topology;
let registry: Registry;
let intake: ResultIntake;
let artifact: string;
/** One real proof of a planned deposit, and its public signals. */
let proved: { proof: UnsignedResultV1['proof']; publicSignals: string[] };
let member: Identity;
let gateway: JobGateway;
/** A lease id of no lease (for results dropped before their lease is looked at). */
const NO_LEASE = `j.eA.${'0'.repeat(32)}`;

const newBatchId = () => `0x${randomBytes(32).toString('hex')}`;

/** Records a job in the jobs KV as the dispatcher does; returns its expectation. */
async function putJob(over: Partial<JobExpectationV1> = {}): Promise<JobExpectationV1> {
  const batchId = over.batchId ?? newBatchId();
  const exp: JobExpectationV1 = {
    v: 1, jobId: `${batchId}.v1.t0.a1`, batchId, index: 0, planVersion: 1, attempt: 1, artifact,
    publicSignals: proved.publicSignals, enqueuedMs: Date.now(), ...over,
  };
  await topo.jobs.put(exp.jobId, JSON.stringify(exp));
  return exp;
}

/** Admits `id` as a live member with a signed entry (as its heartbeat does). */
async function admit(id: Identity, ttlMs = 60_000): Promise<void> {
  await announceMember(nc, topo.names, id, { ttlMs });
}

/** A result for `exp`'s job naming `worker`, signed by `signer` (default: the worker itself). */
function result(exp: JobExpectationV1, worker: Identity, over: Partial<UnsignedResultV1> = {}, signer: Identity = worker): Uint8Array {
  const now = Date.now();
  const unsigned: UnsignedResultV1 = {
    v: 1, jobId: exp.jobId, leaseId: NO_LEASE, batchId: exp.batchId, index: exp.index, workerId: worker.id, proof: proved.proof,
    publicSignals: proved.publicSignals, witnessMs: 1, proveMs: 1, startedMs: now, finishedMs: now, ...over,
  };
  return Buffer.from(JSON.stringify({ ...unsigned, signature: signer.sign(canonicalBytes(unsigned)) }));
}

/** A signed request from `who` to the job gateway. */
async function ask<T>(subject: string, who: Identity, body: Record<string, unknown>): Promise<T> {
  const m = await nc.request(subject, JSON.stringify(signMessage(who, { v: 1, workerId: who.id, ts: Date.now(), ...body })), { timeout: 10_000 });
  return m.json<T>();
}

/** Queues `exp`'s job alone and has `worker` take it through the job gateway; answers its lease id. */
async function holdLease(exp: JobExpectationV1, worker: Identity): Promise<string> {
  await topo.jsm.streams.purge(topo.names.jobsStream);
  await jetstream(nc).publish(topo.names.jobSubject('transfer'), JSON.stringify({ v: 1, jobId: exp.jobId }));
  return takeLease(worker);
}

/** `worker` takes the one queued job; answers its lease id. */
async function takeLease(worker: Identity): Promise<string> {
  const r = await ask<TakeReplyV1>(topo.names.workTake, worker, { max: 1, waitMs: 2_000 });
  if (!r.ok || r.jobs.length !== 1) throw new Error(`no job taken: ${JSON.stringify(r)}`);
  return r.jobs[0]!.leaseId;
}

const release = (worker: Identity, leaseId: string, outcome: 'ack' | 'nak') => ask<WorkReplyV1>(topo.names.workRelease, worker, { leaseId, outcome });

/** drex_results_rejected_total{reason}. */
async function rejected(reason: string): Promise<number> {
  const m = await registry.getSingleMetric('drex_results_rejected_total')!.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Judges `data` and answers the verdict and by how much each rejection reason's count grew. */
async function judged(data: Uint8Array | string) {
  const reasons = ['MALFORMED', 'UNKNOWN_JOB', 'BAD_SIGNATURE', 'NOT_A_MEMBER', 'NOT_LEASE_HOLDER', 'WRONG_PUBLIC_SIGNALS', 'PROOF_INVALID'] as const;
  const before = await Promise.all(reasons.map(rejected));
  const verdict = await intake.judge(typeof data === 'string' ? Buffer.from(data) : data);
  const after = await Promise.all(reasons.map(rejected));
  const counted = Object.fromEntries(reasons.map((r, i) => [r, after[i]! - before[i]!]).filter(([, d]) => d !== 0));
  return { verdict, counted };
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  topo = await ensureTopology(nc);
  const artifacts = await ensureArtifacts();
  artifact = artifacts.manifest.zkeyHash;
  const names = artifactObjects(artifact);
  await topo.artifacts.putBlob({ name: names.vkey }, readFileSync(artifacts.vkey));
  await topo.artifacts.putBlob({ name: names.manifest }, Buffer.from(JSON.stringify(artifacts.manifest)));
  const item = (await provedDeposits(1)).items[0]!;
  proved = { proof: item.proof as UnsignedResultV1['proof'], publicSignals: [...item.publicSignals] };
  registry = new Registry();
  const consumer = await jetstream(nc).consumers.get(topo.names.jobsStream, topo.names.proversConsumer);
  const aggregator = generateIdentity().identity;
  aggregatorId = aggregator.id;
  members = await startMembershipService({ nc, names: topo.names, observers: [aggregator.id, second.id] });
  gateway = new JobGateway({ nc, names: topo.names, consumer, leases: topo.leases, members, log: testLogger('result-intake-test-gateway'), registry: new Registry() });
  await gateway.start();
  intake = new ResultIntake({ nc, names: topo.names, jobs: topo.jobs, members, leases: topo.leases, identity: aggregator, vkeys: new VkeyCache(topo.artifacts), log: testLogger('result-intake-test'), registry });
  member = generateIdentity().identity;
  await admit(member);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await members?.stop();
  await nc?.close();
  await server?.stop();
});

describe('results nobody can attribute to a live worker are dropped, with no verdict', () => {
  it('drops what is not JSON', async () => {
    expect(await judged('not json at all')).toEqual({ verdict: null, counted: { MALFORMED: 1 } });
  });

  it('drops a malformed result even when it names a real job and a member', async () => {
    const exp = await putJob();
    const body = JSON.stringify({ v: 1, jobId: exp.jobId, batchId: exp.batchId, index: 0, workerId: member.id, signature: 'zz' });
    expect(await judged(body)).toEqual({ verdict: null, counted: { MALFORMED: 1 } });
  });

  it('drops a result for a job that does not exist', async () => {
    const exp = { ...(await putJob()), jobId: `${newBatchId()}.v1.t0.a1` };
    expect(await judged(result(exp, member))).toEqual({ verdict: null, counted: { UNKNOWN_JOB: 1 } });
    expect(await judged(result({ ...exp, jobId: 'a..b' }, member))).toEqual({ verdict: null, counted: { UNKNOWN_JOB: 1 } });
  });

  it('drops a result not signed by the worker it names, and leaves that worker\'s reputation alone', async () => {
    const exp = await putJob();
    const forger = generateIdentity().identity;
    expect(await judged(result(exp, member, {}, forger))).toEqual({ verdict: null, counted: { BAD_SIGNATURE: 1 } });
    expect(intake.reputationOf(member.id)).toBe(100);
  });

  it('drops a result of a worker that is not a live member (none, or an expired entry)', async () => {
    const exp = await putJob();
    const stranger = generateIdentity().identity;
    expect(await judged(result(exp, stranger))).toEqual({ verdict: null, counted: { NOT_A_MEMBER: 1 } });
    const lapsed = generateIdentity().identity;
    await admit(lapsed, 1_000);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await judged(result(exp, lapsed))).toEqual({ verdict: null, counted: { NOT_A_MEMBER: 1 } });
  });

  it('drops a member\'s result whose batch or index is not the job\'s', async () => {
    const exp = await putJob();
    const leaseId = await holdLease(exp, member);
    expect(await judged(result(exp, member, { index: 1, leaseId }))).toEqual({ verdict: null, counted: { UNKNOWN_JOB: 1 } });
  });
});

describe('a live member\'s answer is judged', () => {
  it('rejects wrong public signals with a verdict on the job', async () => {
    const exp = await putJob({ planVersion: 3 });
    const other = [...proved.publicSignals];
    other[0] = (BigInt(other[0]!) + 1n).toString();
    const worker = generateIdentity().identity;
    await admit(worker);
    const leaseId = await holdLease(exp, worker);
    const { verdict, counted } = await judged(result(exp, worker, { publicSignals: other, leaseId }));
    expect(counted).toEqual({ WRONG_PUBLIC_SIGNALS: 1 });
    expect(verdict).toMatchObject({ accepted: false, reason: 'WRONG_PUBLIC_SIGNALS', jobId: exp.jobId, batchId: exp.batchId, index: 0, planVersion: 3, workerId: worker.id });
    expect(intake.reputationOf(worker.id)).toBeLessThan(100);
  });

  it('rejects a proof that does not verify with a verdict on the job', async () => {
    const exp = await putJob();
    const bad = { ...proved.proof, pi_a: proved.proof.pi_c, pi_c: proved.proof.pi_a };
    const worker = generateIdentity().identity;
    await admit(worker);
    const leaseId = await holdLease(exp, worker);
    const { verdict, counted } = await judged(result(exp, worker, { proof: bad, leaseId }));
    expect(counted).toEqual({ PROOF_INVALID: 1 });
    expect(verdict).toMatchObject({ accepted: false, reason: 'PROOF_INVALID', jobId: exp.jobId });
  });

  it('accepts the planned public signals with a proof that verifies', async () => {
    const exp = await putJob();
    const leaseId = await holdLease(exp, member);
    const { verdict, counted } = await judged(result(exp, member, { leaseId }));
    expect(counted).toEqual({});
    expect(verdict).toMatchObject({ accepted: true, jobId: exp.jobId, workerId: member.id, publicSignals: proved.publicSignals, enqueuedMs: exp.enqueuedMs });
  });

  it('accepts the holder\'s result judged after it acked the job (the lease is kept, marked acked)', async () => {
    const exp = await putJob();
    const leaseId = await holdLease(exp, member);
    const data = result(exp, member, { leaseId });
    expect(await release(member, leaseId, 'ack')).toEqual({ ok: true });
    const { verdict, counted } = await judged(data);
    expect(counted).toEqual({});
    expect(verdict).toMatchObject({ accepted: true, jobId: exp.jobId, workerId: member.id });
  });
});

describe('only the holder of the job\'s current lease is heard', () => {
  it('drops a live member\'s signed result with a valid proof when another worker holds the job, and hears the holder', async () => {
    const exp = await putJob();
    const holder = generateIdentity().identity;
    await admit(holder);
    const leaseId = await holdLease(exp, holder);
    const reputation = intake.reputationOf(member.id);
    // The interloper is a live member, signs correctly, has the right proof; it names the holder's lease or none.
    expect(await judged(result(exp, member, { leaseId }))).toEqual({ verdict: null, counted: { NOT_LEASE_HOLDER: 1 } });
    expect(await judged(result(exp, member))).toEqual({ verdict: null, counted: { NOT_LEASE_HOLDER: 1 } });
    // A wrong answer from a non-holder re-issues nothing either.
    const other = [...proved.publicSignals];
    other[1] = (BigInt(other[1]!) + 1n).toString();
    expect(await judged(result(exp, member, { leaseId, publicSignals: other }))).toEqual({ verdict: null, counted: { NOT_LEASE_HOLDER: 1 } });
    expect(intake.reputationOf(member.id)).toBeCloseTo(reputation, 0); // decays meanwhile, nothing more
    const { verdict, counted } = await judged(result(exp, holder, { leaseId }));
    expect(counted).toEqual({});
    expect(verdict).toMatchObject({ accepted: true, workerId: holder.id });
  });

  it('drops a result for a job nobody holds', async () => {
    const exp = await putJob();
    expect(await judged(result(exp, member))).toEqual({ verdict: null, counted: { NOT_LEASE_HOLDER: 1 } });
  });

  it('drops the result of a delivery that is no longer current: the job went to another worker', async () => {
    const exp = await putJob();
    const first = await holdLease(exp, member);
    expect(await release(member, first, 'nak')).toEqual({ ok: true });
    const next = generateIdentity().identity;
    await admit(next);
    const second = await takeLease(next);
    expect(await judged(result(exp, member, { leaseId: first }))).toEqual({ verdict: null, counted: { NOT_LEASE_HOLDER: 1 } });
    expect((await judged(result(exp, next, { leaseId: second }))).verdict).toMatchObject({ accepted: true, workerId: next.id });
  });
});

describe('reputation in the membership CRDT', () => {
  it('a worker whose results are wrong twice, seen by two aggregators, gets no work from a gateway on either replica', async () => {
    // A second aggregator with its own replica and intake; each replica counts both aggregators' records.
    const observers = [aggregatorId, second.id];
    const replicaB = await startMembershipService({ nc, names: topo.names, observers });
    const intakeB = new ResultIntake({ nc, names: topo.names, jobs: topo.jobs, members: replicaB, leases: topo.leases, identity: second, vkeys: new VkeyCache(topo.artifacts), log: testLogger('result-intake-test-b'), registry: new Registry() });
    const gatewayB = new JobGateway({ nc, names: topo.names, consumer: await jetstream(nc).consumers.get(topo.names.jobsStream, topo.names.proversConsumer), leases: topo.leases, members: replicaB, log: testLogger('result-intake-test-gateway-b'), registry: new Registry() });
    const liar = generateIdentity().identity;
    await admit(liar);
    const wrong = () => {
      const other = [...proved.publicSignals];
      other[0] = (BigInt(other[0]!) + 1n).toString();
      return other;
    };
    try {
      // First wrong result, judged by aggregator A: one invalid result, score 50, still given work.
      const e1 = await putJob();
      const l1 = await holdLease(e1, liar);
      expect((await intake.judge(result(e1, liar, { leaseId: l1, publicSignals: wrong() })))?.accepted).toBe(false);
      await until('aggregator A\'s record to reach replica B', () => replicaB.reputationOf(liar.id) < 60);
      // Second, judged by aggregator B: a take is refused from then on.
      const e2 = await putJob();
      const l2 = await holdLease(e2, liar);
      expect((await intakeB.judge(result(e2, liar, { leaseId: l2, publicSignals: wrong() })))?.accepted).toBe(false);
      await until('both replicas to count both records', () => members.reputationOf(liar.id) < REPUTATION_THRESHOLD && replicaB.reputationOf(liar.id) < REPUTATION_THRESHOLD);
      expect(members.reputationOf(liar.id)).toBeCloseTo(25, 0);
      expect(replicaB.reputationOf(liar.id)).toBeCloseTo(25, 0);
      await topo.jsm.streams.purge(topo.names.jobsStream);
      await jetstream(nc).publish(topo.names.jobSubject('transfer'), JSON.stringify({ v: 1, jobId: (await putJob()).jobId }));
      // Gateway A (on replica A) refuses; then, with only gateway B serving, so does it.
      const refusedTake = () => ask<TakeReplyV1>(topo.names.workTake, liar, { max: 1, waitMs: 1_000 });
      expect(await refusedTake()).toMatchObject({ ok: false, code: 'LOW_REPUTATION' });
      await gateway.stop();
      await gatewayB.start();
      expect(await refusedTake()).toMatchObject({ ok: false, code: 'LOW_REPUTATION' });
      // An honest member still gets the job from gateway B.
      const honest = generateIdentity().identity;
      await admit(honest);
      expect(await ask<TakeReplyV1>(topo.names.workTake, honest, { max: 1, waitMs: 2_000 })).toMatchObject({ ok: true, jobs: [expect.anything()] });
    } finally {
      await gatewayB.stop();
      await replicaB.stop();
    }
  });
});

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
