import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { leaseKeyOf, leaseKeyOfJob, leaseV1, type LeaseV1, type TakeReplyV1, type WorkReplyV1 } from '../../protocol/messages/work.ts';
import { ensureTopology, type Topology } from '../../protocol/nats-topology.ts';
import { generateIdentity, type Identity } from '../../swarm/identity/ed25519.ts';
import { signMessage } from '../../swarm/identity/signed-message.ts';
import { startMembershipService, type MembershipService } from '../../swarm/membership/membership-service.ts';
import { announceMember } from '../../swarm/membership/test-support/announce-member.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { JobGateway } from './job-gateway.ts';

const ACK_WAIT_MS = 2_000;
let server: TestNatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let topo: Topology;
let gateway: JobGateway;
let members: MembershipService;
let registry: Registry;
let holder: Identity;
let other: Identity;
let jobN = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Admits `id` as a live member with a signed entry (as its heartbeat does). */
async function admit(id: Identity): Promise<void> {
  await announceMember(nc, topo.names, id, { ttlMs: 60_000 });
}

/** A signed request from `who` on `subject`, answered by the gateway. */
async function ask<T = WorkReplyV1>(subject: string, who: Identity, body: Record<string, unknown>): Promise<T> {
  const m = await nc.request(subject, JSON.stringify(signMessage(who, { v: 1, workerId: who.id, ts: Date.now(), ...body })), { timeout: 15_000 });
  return m.json<T>();
}

const take = (who: Identity, max = 1, waitMs = 1_000) => ask<TakeReplyV1>(topo.names.workTake, who, { max, waitMs });
const progress = (who: Identity, leaseId: string) => ask(topo.names.workProgress, who, { leaseId });
const release = (who: Identity, leaseId: string, outcome: 'ack' | 'nak' | 'term', extra: Record<string, unknown> = {}) => ask(topo.names.workRelease, who, { leaseId, outcome, ...extra });

/** Publishes one job message; answers its job id and bytes. */
async function publishJob(): Promise<{ jobId: string; body: string }> {
  const jobId = `job-${Date.now()}-${jobN++}`;
  const body = JSON.stringify({ v: 1, jobId, note: 'the gateway does not read more than the job id' });
  await js.publish(topo.names.jobSubject('transfer'), body);
  return { jobId, body };
}

/** Takes exactly one job as `who`. */
async function takeOne(who: Identity): Promise<{ leaseId: string; deliveryCount: number; job: string }> {
  const r = await take(who);
  if (!r.ok) throw new Error(`take refused: ${r.code} ${r.message}`);
  expect(r.jobs).toHaveLength(1);
  return r.jobs[0]!;
}

async function leaseOf(jobId: string): Promise<LeaseV1 | null> {
  const e = await topo.leases.get(leaseKeyOfJob(jobId));
  return e && e.operation === 'PUT' ? leaseV1.parse(e.json()) : null;
}

async function consumerState() {
  const ci = await topo.jsm.consumers.info(topo.names.jobsStream, topo.names.proversConsumer);
  return { pending: ci.num_pending, ackPending: ci.num_ack_pending, stored: (await topo.jsm.streams.info(topo.names.jobsStream)).state.messages };
}

async function refusals(op: string, reason: string): Promise<number> {
  const m = await registry.getSingleMetric('drex_gateway_refused_total')!.get();
  return m.values.find((v) => v.labels.op === op && v.labels.reason === reason)?.value ?? 0;
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  js = jetstream(nc);
  topo = await ensureTopology(nc, { jobAckWaitMs: ACK_WAIT_MS, jobMaxDeliver: 10 });
  registry = new Registry();
  const consumer = await js.consumers.get(topo.names.jobsStream, topo.names.proversConsumer);
  members = await startMembershipService({ nc, names: topo.names });
  gateway = new JobGateway({ nc, names: topo.names, consumer, leases: topo.leases, members, log: testLogger('job-gateway-test'), registry, maxWaitMs: 2_000 });
  await gateway.start();
  holder = generateIdentity().identity;
  other = generateIdentity().identity;
  await admit(holder);
  await admit(other);
}, 60_000);

beforeEach(async () => {
  await topo.jsm.streams.purge(topo.names.jobsStream);
});

afterAll(async () => {
  await gateway?.stop();
  await members?.stop();
  await nc?.close();
  await server?.stop();
});

describe('the job gateway grants leases', () => {
  it('gives a live member the job as stored with a lease naming its delivery', async () => {
    const { jobId, body } = await publishJob();
    const r = await take(holder, 4);
    expect(r).toMatchObject({ ok: true, ackWaitMs: ACK_WAIT_MS });
    if (!r.ok) return;
    expect(r.jobs).toHaveLength(1);
    const g = r.jobs[0]!;
    expect(Buffer.from(g.job, 'base64').toString('utf8')).toBe(body);
    expect(g.deliveryCount).toBe(1);
    expect(leaseKeyOf(g.leaseId)).toBe(leaseKeyOfJob(jobId));
    const lease = await leaseOf(jobId);
    expect(lease).toMatchObject({ leaseId: g.leaseId, workerId: holder.id, jobId, deliveryCount: 1, state: 'held' });
    expect(lease!.ackSubject.startsWith(`$JS.ACK.${topo.names.jobsStream}.${topo.names.proversConsumer}.`)).toBe(true);
    expect(await consumerState()).toMatchObject({ pending: 0, ackPending: 1 });
  });

  it('grants several jobs at once, no more than asked', async () => {
    for (let i = 0; i < 3; i++) await publishJob();
    const r = await take(holder, 2);
    expect(r.ok && r.jobs.length).toBe(2);
    expect(await consumerState()).toMatchObject({ pending: 1, ackPending: 2 });
  });

  it('answers an empty take after its wait when there is no job', async () => {
    const t0 = Date.now();
    expect(await take(holder, 1, 1_000)).toEqual({ ok: true, ackWaitMs: ACK_WAIT_MS, jobs: [] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('refuses a take by a worker that is not a live member, and takes nothing', async () => {
    await publishJob();
    const stranger = generateIdentity().identity;
    const before = await refusals('take', 'NOT_A_MEMBER');
    expect(await take(stranger)).toMatchObject({ ok: false, code: 'NOT_A_MEMBER' });
    expect(await refusals('take', 'NOT_A_MEMBER')).toBe(before + 1);
    expect(await consumerState()).toMatchObject({ pending: 1, ackPending: 0 });
  });
});

describe('only the holder of the current lease answers its job', () => {
  it('acks for the holder: the job leaves the queue and the lease is kept, marked acked', async () => {
    const { jobId } = await publishJob();
    const g = await takeOne(holder);
    expect(await progress(holder, g.leaseId)).toEqual({ ok: true });
    expect(await release(holder, g.leaseId, 'ack')).toEqual({ ok: true });
    expect(await consumerState()).toMatchObject({ pending: 0, ackPending: 0, stored: 0 });
    expect(await leaseOf(jobId)).toMatchObject({ leaseId: g.leaseId, workerId: holder.id, state: 'acked' });
    // Released: nothing more can be done with it.
    expect(await progress(holder, g.leaseId)).toMatchObject({ ok: false, code: 'LEASE_LOST' });
    expect(await release(holder, g.leaseId, 'nak')).toMatchObject({ ok: false, code: 'LEASE_LOST' });
  });

  it('refuses progress and release by another member (valid signature, right lease id): nothing changes', async () => {
    const { jobId } = await publishJob();
    const g = await takeOne(holder);
    const before = await refusals('release', 'LEASE_LOST');
    expect(await progress(other, g.leaseId)).toMatchObject({ ok: false, code: 'LEASE_LOST' });
    for (const outcome of ['ack', 'nak', 'term'] as const) expect(await release(other, g.leaseId, outcome)).toMatchObject({ ok: false, code: 'LEASE_LOST' });
    expect(await refusals('release', 'LEASE_LOST')).toBe(before + 3);
    expect(await consumerState()).toMatchObject({ pending: 0, ackPending: 1, stored: 1 });
    expect(await leaseOf(jobId)).toMatchObject({ leaseId: g.leaseId, workerId: holder.id, state: 'held' });
    // The holder still can.
    expect(await release(holder, g.leaseId, 'ack')).toEqual({ ok: true });
    expect(await consumerState()).toMatchObject({ stored: 0 });
  });

  it('naks for the holder: delivered again under a new lease; the old one is lost', async () => {
    const { jobId } = await publishJob();
    const first = await takeOne(holder);
    expect(await release(holder, first.leaseId, 'nak')).toEqual({ ok: true });
    const second = await takeOne(other);
    expect(second.deliveryCount).toBe(2);
    expect(second.leaseId).not.toBe(first.leaseId);
    expect(await leaseOf(jobId)).toMatchObject({ leaseId: second.leaseId, workerId: other.id, deliveryCount: 2 });
    expect(await progress(holder, first.leaseId)).toMatchObject({ ok: false, code: 'LEASE_LOST' });
    expect(await release(holder, first.leaseId, 'ack')).toMatchObject({ ok: false, code: 'LEASE_LOST' });
    expect(await consumerState()).toMatchObject({ ackPending: 1, stored: 1 });
  });

  it('naks with a delay: not delivered again before it', async () => {
    await publishJob();
    const g = await takeOne(holder);
    expect(await release(holder, g.leaseId, 'nak', { delayMs: 3_000 })).toEqual({ ok: true });
    expect(await take(other, 1, 1_000)).toMatchObject({ ok: true, jobs: [] });
    const again = await take(other, 1, 2_000);
    expect(again.ok && again.jobs[0]?.deliveryCount).toBe(2);
  });

  it('terminates for the holder: the job leaves the queue for good and the lease is deleted', async () => {
    const { jobId } = await publishJob();
    const g = await takeOne(holder);
    expect(await release(holder, g.leaseId, 'term', { reason: 'malformed job' })).toEqual({ ok: true });
    await sleep(200);
    expect(await consumerState()).toMatchObject({ pending: 0, ackPending: 0, stored: 0 });
    expect(await leaseOf(jobId)).toBeNull();
  });

  it('keeps a job with its holder while it signals progress past the ack wait; redelivers it when it stops', async () => {
    const { jobId } = await publishJob();
    const g = await takeOne(holder);
    for (let t = 0; t < ACK_WAIT_MS * 1.5; t += 500) {
      expect(await progress(holder, g.leaseId)).toEqual({ ok: true });
      await sleep(500);
    }
    expect(await take(other, 1, 1_000)).toMatchObject({ ok: true, jobs: [] });
    const next = await take(other, 1, 2_000); // its ack wait runs out within this wait
    expect(next.ok && next.jobs[0]?.deliveryCount).toBe(2);
    expect((await leaseOf(jobId))?.workerId).toBe(other.id);
    expect(await progress(holder, g.leaseId)).toMatchObject({ ok: false, code: 'LEASE_LOST' });
  });
});

describe('bad requests get a named error and change nothing', () => {
  it('refuses what is not JSON, a malformed request, a forged signature and a stale time', async () => {
    await publishJob();
    const raw = async (subject: string, body: string) => (await nc.request(subject, body, { timeout: 5_000 })).json<WorkReplyV1>();
    expect(await raw(topo.names.workTake, 'not json')).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(await raw(topo.names.workTake, JSON.stringify({ v: 1, workerId: holder.id, max: 0 }))).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(await raw(topo.names.workRelease, JSON.stringify(signMessage(holder, { v: 1, workerId: holder.id, ts: Date.now(), leaseId: 'x', outcome: 'ack' })))).toMatchObject({ ok: false, code: 'MALFORMED' });
    const forged = signMessage(other, { v: 1, workerId: holder.id, ts: Date.now(), max: 1, waitMs: 1_000 });
    expect(await raw(topo.names.workTake, JSON.stringify(forged))).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    // A signed field the schema does not know still counts for the signature.
    const padded = { ...signMessage(holder, { v: 1, workerId: holder.id, ts: Date.now(), max: 1, waitMs: 1_000 }), extra: 1 };
    expect(await raw(topo.names.workTake, JSON.stringify(padded))).toMatchObject({ ok: false, code: 'BAD_SIGNATURE' });
    const stale = signMessage(holder, { v: 1, workerId: holder.id, ts: Date.now() - 10 * 60_000, max: 1, waitMs: 1_000 });
    expect(await raw(topo.names.workTake, JSON.stringify(stale))).toMatchObject({ ok: false, code: 'STALE_REQUEST' });
    expect(await consumerState()).toMatchObject({ pending: 1, ackPending: 0 });
    expect(await refusals('take', 'MALFORMED')).toBeGreaterThanOrEqual(2);
    expect(await refusals('take', 'BAD_SIGNATURE')).toBe(2);
    expect(await refusals('take', 'STALE_REQUEST')).toBe(1);
  });
});

