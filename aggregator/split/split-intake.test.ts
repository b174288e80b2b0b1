// Split proving at result intake: real NATS, the real job gateway granting half jobs (leases, split
// records, re-sealed shares), a real witness split into two shares and real MSMs over each.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { bn254 } from '@noble/curves/bn254.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { buildSample } from '../../circuits/sample/sample-transfer.ts';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { gatewayShareObject, halfJobId, type HalfJobV1, type MsmPointsJson, type UnsignedHalfResultV1 } from '../../protocol/messages/half.ts';
import type { JobExpectationV1 } from '../../protocol/messages/job.ts';
import { verdictV1, type VerdictV1 } from '../../protocol/messages/verdict.ts';
import type { TakeReplyV1 } from '../../protocol/messages/work.ts';
import { artifactObjects, ensureTopology, type Topology } from '../../protocol/nats-topology.ts';
import { encodeMsmPoints, msmStage, readProvingKey, releaseProverCurve, splitMsmScalars, witnessStage, type MsmScalars } from '../../prover/index.ts';
import { encodeHalfScalars } from '../../prover/share-codec.ts';
import { generateIdentity, type Identity } from '../../swarm/identity/ed25519.ts';
import { signMessage } from '../../swarm/identity/signed-message.ts';
import { encodeSealed, sealTo } from '../../swarm/sealing/hpke-seal.ts';
import { generateSealKeyPair, type SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { startMembershipService, type MembershipService } from '../../swarm/membership/membership-service.ts';
import { announceMember } from '../../swarm/membership/test-support/announce-member.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { prepareVerificationKey } from '../verification-key.ts';
import { verifySingle } from '../batch-verify.ts';
import { HalfGrants } from '../gateway/half-grants.ts';
import { JobGateway } from '../gateway/job-gateway.ts';
import { ResultIntake } from '../intake/result-intake.ts';
import { VkeyCache } from '../intake/vkey-cache.ts';
import { ProvingKeyCache } from './proving-key-cache.ts';

let server: TestNatsServer;
let members: MembershipService;
const aggregator = generateIdentity().identity;
let nc: NatsConnection;
let topo: Topology;
let registry: Registry;
let intake: ResultIntake;
let gateway: JobGateway;
let gatewaySeal: SealKeyPair;
let artifact: string;
let vkeyJson: unknown;
/** The planned proof's public signals. */
let publicSignals: string[];
/** The two shares of its witness and quotient, and the five MSM points of each (wire form). */
let shares: [MsmScalars, MsmScalars];
let points: [MsmPointsJson, MsmPointsJson];

/** A point on G2's twist curve outside its prime-order subgroup: the first x = i + 0u with a square right-hand side. */
function twistPointOutsideSubgroup(): MsmPointsJson['B2'] {
  const P = bn254.G2.Point;
  const F = P.Fp;
  const hex = (v: bigint) => v.toString(16).padStart(64, '0');
  for (let i = 1n; ; i++) {
    const x = F.create({ c0: i, c1: 0n });
    let y;
    try {
      y = F.sqrt(F.add(F.mul(F.sqr(x), x), P.CURVE().b));
    } catch {
      continue;
    }
    if (P.fromAffine({ x, y }).isTorsionFree()) continue;
    return [
      [hex(x.c0), hex(x.c1)],
      [hex(y.c0), hex(y.c1)],
    ];
  }
}

const newBatchId = () => `0x${randomBytes(32).toString('hex')}`;

/** A worker: an identity admitted as a live member with a seal key and an operator of its own. */
async function member(): Promise<Identity> {
  const id = generateIdentity().identity;
  const seal = await generateSealKeyPair();
  await announceMember(nc, topo.names, id, { capabilities: { sealKey: seal.publicKeyHex }, operator: `op-${id.id.slice(0, 8)}`, ttlMs: 60_000 });
  return id;
}

/** A signed request from `who` to the job gateway. */
async function ask<T>(subject: string, who: Identity, body: Record<string, unknown>): Promise<T> {
  const m = await nc.request(subject, JSON.stringify(signMessage(who, { v: 1, workerId: who.id, ts: Date.now(), ...body })), { timeout: 10_000 });
  return m.json<T>();
}

/** One proof attempt dispatched as the witness generator does: its expectation, both shares sealed to the gateway, both half jobs queued. */
interface Attempt {
  exp: JobExpectationV1;
  /** Who took half 0 and half 1, and the lease each took it under. */
  workers: [Identity, Identity];
  leases: [string, string];
}

/** Dispatches an attempt (expected to prove `planned`) and has two workers take its halves through the job gateway (real leases). */
async function dispatch(planned: string[] = publicSignals): Promise<Attempt> {
  const batchId = newBatchId();
  const exp: JobExpectationV1 = { v: 1, jobId: `${batchId}.v1.t0.a1`, batchId, index: 0, planVersion: 1, attempt: 1, artifact, publicSignals: planned, enqueuedMs: Date.now() };
  await topo.jobs.put(exp.jobId, JSON.stringify(exp));
  await topo.jsm.streams.purge(topo.names.jobsStream);
  for (const half of [0, 1] as const) {
    const jobId = halfJobId(exp.jobId, half);
    const box = encodeSealed(await sealTo(gatewaySeal.publicKeyHex, encodeHalfScalars(shares[half]), new TextEncoder().encode(jobId)));
    await topo.shares.putBlob({ name: gatewayShareObject(jobId) }, box);
    const job: HalfJobV1 = {
      v: 1, kind: 'half', jobId, proofId: exp.jobId, half, batchId, index: 0, planVersion: 1, attempt: 1, circuit: 'transfer', artifact,
      share: { object: gatewayShareObject(jobId), bytes: box.byteLength }, deadlineMs: 600_000, enqueuedMs: exp.enqueuedMs,
    };
    await jetstream(nc).publish(topo.names.halfJobSubject, JSON.stringify(job));
  }
  const workers: [Identity, Identity] = [await member(), await member()];
  const leases = [] as unknown as [string, string];
  for (const half of [0, 1] as const) {
    const r = await ask<TakeReplyV1>(topo.names.workTake, workers[half], { max: 1, waitMs: 2_000 });
    if (!r.ok || r.jobs.length !== 1) throw new Error(`no half taken: ${JSON.stringify(r)}`);
    const job = JSON.parse(Buffer.from(r.jobs[0]!.job, 'base64').toString('utf8')) as HalfJobV1;
    if (job.half !== half) throw new Error(`worker ${half} took half ${job.half}`);
    leases[half] = r.jobs[0]!.leaseId;
  }
  return { exp, workers, leases };
}

/** The half result of `a`'s half `half`, by its worker, with `over` changed. */
function halfResult(a: Attempt, half: 0 | 1, over: Partial<UnsignedHalfResultV1> = {}): Uint8Array {
  const now = Date.now();
  const unsigned: UnsignedHalfResultV1 = {
    v: 1, kind: 'half', jobId: halfJobId(a.exp.jobId, half), leaseId: a.leases[half], batchId: a.exp.batchId, index: a.exp.index,
    workerId: a.workers[half].id, points: points[half], msmMs: 1000 + half, startedMs: now - 2000 + half, finishedMs: now - 10 + half, ...over,
  };
  return Buffer.from(JSON.stringify({ ...unsigned, signature: a.workers[half].sign(canonicalBytes(unsigned)) }));
}

/** The verdicts stored on the verdicts stream for `a`'s batch. */
async function verdictsOf(a: Attempt): Promise<{ count: number; last: VerdictV1 | null }> {
  const subject = topo.names.verdictSubject(a.exp.batchId);
  const info = await topo.jsm.streams.info(topo.names.verdictsStream, { subjects_filter: subject });
  const count = info.state.subjects?.[subject] ?? 0;
  if (count === 0) return { count, last: null };
  const m = await topo.jsm.streams.getMessage(topo.names.verdictsStream, { last_by_subj: subject });
  return { count, last: verdictV1.parse(m!.json()) };
}

/** True when an answer to half job `jobId` is held. */
async function isHeld(jobId: string): Promise<boolean> {
  return (await topo.halves.get(jobId))?.operation === 'PUT';
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  topo = await ensureTopology(nc);
  const artifacts = await ensureArtifacts();
  artifact = artifacts.manifest.zkeyHash;
  const names = artifactObjects(artifact);
  const zkey = readFileSync(artifacts.zkey);
  await topo.artifacts.putBlob({ name: names.vkey }, readFileSync(artifacts.vkey));
  await topo.artifacts.putBlob({ name: names.manifest }, Buffer.from(JSON.stringify(artifacts.manifest)));
  await topo.artifacts.putBlob({ name: names.zkey }, zkey);
  vkeyJson = JSON.parse(readFileSync(artifacts.vkey, 'utf8'));

  const pk = await readProvingKey(zkey);
  const sample = await buildSample();
  const w = await witnessStage(pk, readFileSync(artifacts.wasm), sample.proof.input);
  publicSignals = w.publicSignals;
  shares = splitMsmScalars({ witness: w.witness, quotient: w.quotient }, new Uint8Array(32).fill(7));
  points = [encodeMsmPoints(await msmStage(pk, shares[0])), encodeMsmPoints(await msmStage(pk, shares[1]))];

  gatewaySeal = await generateSealKeyPair();
  const consumer = await jetstream(nc).consumers.get(topo.names.jobsStream, topo.names.proversConsumer);
  members = await startMembershipService({ nc, names: topo.names, observers: [aggregator.id] });
  gateway = new JobGateway({
    nc, names: topo.names, consumer, leases: topo.leases, members,
    halves: new HalfGrants({ splits: topo.splits, shares: topo.shares, sealKey: gatewaySeal }),
    log: testLogger('split-intake-test-gateway'), registry: new Registry(),
  });
  await gateway.start();
  registry = new Registry();
  intake = new ResultIntake({
    nc, names: topo.names, jobs: topo.jobs, members, leases: topo.leases, identity: aggregator,
    vkeys: new VkeyCache(topo.artifacts), log: testLogger('split-intake-test'), registry,
    split: { halves: topo.halves, shares: topo.shares, provingKeys: new ProvingKeyCache(topo.artifacts), sealKey: gatewaySeal },
  });
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await members?.stop();
  await nc?.close();
  await server?.stop();
  await releaseProverCurve();
});

describe('two correct halves', () => {
  it('are held until both are in, then combine into an accepted verdict whose proof verifies with the planned signals', async () => {
    const a = await dispatch();
    const combined = await metric('drex_split_combined_total');
    const t = Date.now() - 10_000;
    expect(await intake.handle(halfResult(a, 0, { msmMs: 1800, startedMs: t + 500, finishedMs: t + 2500 }))).toEqual([]);
    expect(await isHeld(halfJobId(a.exp.jobId, 0))).toBe(true);
    const [verdict] = await intake.handle(halfResult(a, 1, { msmMs: 1200, startedMs: t, finishedMs: t + 2000 }));
    expect(verdict).toMatchObject({
      accepted: true, jobId: a.exp.jobId, batchId: a.exp.batchId, index: 0, planVersion: 1, workerId: a.workers[0].id,
      halfWorkers: [a.workers[0].id, a.workers[1].id], publicSignals, enqueuedMs: a.exp.enqueuedMs,
      // The slower half's MSM time, and the span of both.
      proveMs: 1800, startedMs: t, finishedMs: t + 2500,
    });
    if (!verdict?.accepted) throw new Error('not accepted');
    expect(await verifySingle(await prepareVerificationKey(vkeyJson), { proof: verdict.proof, publicSignals })).toBe(true);
    expect(await metric('drex_split_combined_total')).toBe(combined + 1);
    const published = await verdictsOf(a);
    expect(published.count).toBe(1);
    expect(published.last).toMatchObject({ accepted: true, jobId: a.exp.jobId, halfWorkers: [a.workers[0].id, a.workers[1].id] });
    // Decided: the held halves are gone.
    expect(await isHeld(halfJobId(a.exp.jobId, 0))).toBe(false);
    expect(await isHeld(halfJobId(a.exp.jobId, 1))).toBe(false);
  });

  it('combine the same way when the second half arrives first', async () => {
    const a = await dispatch();
    expect(await intake.handle(halfResult(a, 1))).toEqual([]);
    expect(await intake.handle(halfResult(a, 0))).toMatchObject([{ accepted: true, workerId: a.workers[0].id, halfWorkers: [a.workers[0].id, a.workers[1].id] }]);
  });

  it('give one verdict however often either half is delivered again', async () => {
    const a = await dispatch();
    const h0 = halfResult(a, 0);
    const h1 = halfResult(a, 1);
    expect(await intake.handle(h0)).toEqual([]);
    expect(await intake.handle(h0)).toEqual([]);
    expect(await intake.handle(h1)).toHaveLength(1);
    expect(await intake.handle(h1)).toEqual([]);
    expect(await intake.handle(h0)).toEqual([]);
    expect(await verdictsOf(a)).toMatchObject({ count: 1, last: { accepted: true } });
  });

  it('give one verdict when both halves are judged at once', async () => {
    const a = await dispatch();
    const both = await Promise.all([intake.handle(halfResult(a, 0)), intake.handle(halfResult(a, 1))]);
    expect(both.flat()).toHaveLength(1);
    expect(await verdictsOf(a)).toMatchObject({ count: 1, last: { accepted: true } });
  });
});

describe('a wrong half', () => {
  it('with valid points that are not its share\'s: the combined proof fails, recomputing names its worker, and only its reputation drops', async () => {
    const a = await dispatch();
    const culprits = await metric('drex_split_culprits_total');
    const wrong: MsmPointsJson = { ...points[1], A: points[0].A };
    expect(await intake.handle(halfResult(a, 0))).toEqual([]);
    const verdicts = await intake.handle(halfResult(a, 1, { points: wrong }));
    expect(verdicts).toEqual([
      expect.objectContaining({ accepted: false, reason: 'WRONG_HALF', jobId: a.exp.jobId, batchId: a.exp.batchId, workerId: a.workers[1].id, detail: expect.stringContaining('half 1') }),
    ]);
    expect(intake.reputationOf(a.workers[1].id)).toBeCloseTo(50, 0);
    expect(intake.reputationOf(a.workers[0].id)).toBe(100);
    expect(await metric('drex_split_culprits_total')).toBe(culprits + 1);
    expect(await metric('drex_results_rejected_total', { reason: 'WRONG_HALF' })).toBeGreaterThanOrEqual(1);
    expect(await verdictsOf(a)).toMatchObject({ count: 1, last: { accepted: false, reason: 'WRONG_HALF', workerId: a.workers[1].id } });
    // The held halves are deleted; a redelivered half changes nothing.
    expect(await isHeld(halfJobId(a.exp.jobId, 0))).toBe(false);
    expect(await intake.handle(halfResult(a, 0))).toEqual([]);
    expect(intake.reputationOf(a.workers[1].id)).toBeCloseTo(50, 0);
  }, 120_000);

  it('wrong only in its G2 point (the last one recomputed) is named too', async () => {
    const a = await dispatch();
    expect(await intake.handle(halfResult(a, 0, { points: { ...points[0], B2: points[1].B2 } }))).toEqual([]);
    const verdicts = await intake.handle(halfResult(a, 1));
    expect(verdicts).toEqual([expect.objectContaining({ reason: 'WRONG_HALF', workerId: a.workers[0].id, detail: expect.stringContaining('half 0') })]);
    expect(intake.reputationOf(a.workers[0].id)).toBeCloseTo(50, 0);
    expect(intake.reputationOf(a.workers[1].id)).toBe(100);
  }, 120_000);

  it('with points that are not valid points: WRONG_HALF at once, without waiting for the other half', async () => {
    const a = await dispatch();
    const combined = await metric('drex_split_combined_total');
    const offCurve: MsmPointsJson = { ...points[0], C: ['1'.padStart(64, '0'), '3'.padStart(64, '0')] };
    const verdicts = await intake.handle(halfResult(a, 0, { points: offCurve }));
    expect(verdicts).toEqual([expect.objectContaining({ accepted: false, reason: 'WRONG_HALF', jobId: a.exp.jobId, workerId: a.workers[0].id, detail: expect.stringContaining('NOT_ON_CURVE') })]);
    expect(intake.reputationOf(a.workers[0].id)).toBeCloseTo(50, 0);
    expect(await isHeld(halfJobId(a.exp.jobId, 0))).toBe(false);
    // The attempt is decided: its other half, however correct, is not combined.
    expect(await intake.handle(halfResult(a, 1))).toEqual([]);
    expect(await metric('drex_split_combined_total')).toBe(combined);
    expect(intake.reputationOf(a.workers[1].id)).toBe(100);
    expect(await verdictsOf(a)).toMatchObject({ count: 1, last: { reason: 'WRONG_HALF', workerId: a.workers[0].id } });
  });

  it('with a G2 point outside the prime-order subgroup is malformed too', async () => {
    const a = await dispatch();
    const outside = twistPointOutsideSubgroup();
    const verdicts = await intake.handle(halfResult(a, 1, { points: { ...points[1], B2: outside } }));
    expect(verdicts).toEqual([expect.objectContaining({ reason: 'WRONG_HALF', workerId: a.workers[1].id, detail: expect.stringContaining('NOT_IN_SUBGROUP') })]);
  });
});

describe('a combination that fails with no wrong half', () => {
  it('when the shares prove other public signals than planned: PROOF_INVALID naming half 0\'s worker, no reputation change', async () => {
    const planned = [...publicSignals];
    planned[0] = (BigInt(planned[0]!) + 1n).toString();
    const a = await dispatch(planned);
    expect(await intake.handle(halfResult(a, 0))).toEqual([]);
    const verdicts = await intake.handle(halfResult(a, 1));
    expect(verdicts).toEqual([
      expect.objectContaining({ accepted: false, reason: 'PROOF_INVALID', jobId: a.exp.jobId, workerId: a.workers[0].id, detail: expect.stringContaining('neither half differs') }),
    ]);
    expect(intake.reputationOf(a.workers[0].id)).toBe(100);
    expect(intake.reputationOf(a.workers[1].id)).toBe(100);
    expect(await isHeld(halfJobId(a.exp.jobId, 1))).toBe(false);
  }, 120_000);

  it('when the shares are gone: PROOF_INVALID saying so, no reputation change', async () => {
    const a = await dispatch();
    for (const half of [0, 1] as const) await topo.shares.delete(gatewayShareObject(halfJobId(a.exp.jobId, half)));
    expect(await intake.handle(halfResult(a, 0))).toEqual([]);
    const verdicts = await intake.handle(halfResult(a, 1, { points: { ...points[1], A: points[0].A } }));
    expect(verdicts).toEqual([expect.objectContaining({ reason: 'PROOF_INVALID', workerId: a.workers[0].id, detail: expect.stringContaining('is gone from the shares store') })]);
    expect(intake.reputationOf(a.workers[1].id)).toBe(100);
  });
});

describe('halves nobody can attribute are dropped, with no verdict', () => {
  it('drops a half from a live member that does not hold the half job\'s lease', async () => {
    const a = await dispatch();
    const before = await metric('drex_results_rejected_total', { reason: 'NOT_LEASE_HOLDER' });
    // Worker 1 signs an answer to half 0 under its own lease (of half 1).
    const forged = halfResult({ ...a, workers: [a.workers[1], a.workers[1]], leases: [a.leases[1], a.leases[1]] }, 0);
    expect(await intake.handle(forged)).toEqual([]);
    expect(await metric('drex_results_rejected_total', { reason: 'NOT_LEASE_HOLDER' })).toBe(before + 1);
    expect(await isHeld(halfJobId(a.exp.jobId, 0))).toBe(false);
  });

  it('drops a half whose job id names no half, or no planned attempt', async () => {
    const a = await dispatch();
    const before = await metric('drex_results_rejected_total', { reason: 'UNKNOWN_JOB' });
    expect(await intake.handle(halfResult(a, 0, { jobId: a.exp.jobId }))).toEqual([]);
    expect(await intake.handle(halfResult(a, 0, { jobId: `${newBatchId()}.v1.t0.a1.h0` }))).toEqual([]);
    expect(await metric('drex_results_rejected_total', { reason: 'UNKNOWN_JOB' })).toBe(before + 2);
  });

  it('drops a malformed half result', async () => {
    const a = await dispatch();
    const before = await metric('drex_results_rejected_total', { reason: 'MALFORMED' });
    const bad = JSON.parse(Buffer.from(halfResult(a, 0)).toString('utf8')) as Record<string, unknown>;
    delete bad.points;
    expect(await intake.handle(Buffer.from(JSON.stringify(bad)))).toEqual([]);
    expect(await metric('drex_results_rejected_total', { reason: 'MALFORMED' })).toBe(before + 1);
  });
});

describe('the running intake', () => {
  let running: ResultIntake;
  beforeAll(async () => {
    running = new ResultIntake({
      nc, names: topo.names, jobs: topo.jobs, members, leases: topo.leases, identity: aggregator,
      vkeys: new VkeyCache(topo.artifacts), log: testLogger('split-intake-test-running'), registry: new Registry(),
      split: { halves: topo.halves, shares: topo.shares, provingKeys: new ProvingKeyCache(topo.artifacts), sealKey: gatewaySeal },
    });
    await running.start();
  });
  afterAll(() => running?.stop());

  /** Waits until `check` holds (polling), at most `ms`. */
  async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Results of `a`'s batch still on the results stream (not acked). */
  async function unacked(a: Attempt): Promise<number> {
    const subject = topo.names.resultSubject(a.exp.batchId);
    const info = await topo.jsm.streams.info(topo.names.resultsStream, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  it('combines halves published on the results stream, publishes the verdict and acks both', async () => {
    const a = await dispatch();
    const js = jetstream(nc);
    await js.publish(topo.names.resultSubject(a.exp.batchId), halfResult(a, 1));
    await js.publish(topo.names.resultSubject(a.exp.batchId), halfResult(a, 0));
    await until(async () => (await verdictsOf(a)).count > 0, 60_000);
    expect(await verdictsOf(a)).toMatchObject({ count: 1, last: { accepted: true, halfWorkers: [a.workers[0].id, a.workers[1].id] } });
    await until(async () => (await unacked(a)) === 0, 10_000);
  }, 90_000);

  it('judges other results while a failed combination\'s halves are recomputed', async () => {
    const slow = await dispatch();
    const quick = await dispatch();
    const js = jetstream(nc);
    await js.publish(topo.names.resultSubject(slow.exp.batchId), halfResult(slow, 0));
    await js.publish(topo.names.resultSubject(slow.exp.batchId), halfResult(slow, 1, { points: { ...points[1], H: points[0].H } }));
    await js.publish(topo.names.resultSubject(quick.exp.batchId), halfResult(quick, 0));
    await js.publish(topo.names.resultSubject(quick.exp.batchId), halfResult(quick, 1));
    await until(async () => (await verdictsOf(slow)).count > 0, 120_000);
    const culprit = await topo.jsm.streams.getMessage(topo.names.verdictsStream, { last_by_subj: topo.names.verdictSubject(slow.exp.batchId) });
    const combined = await topo.jsm.streams.getMessage(topo.names.verdictsStream, { last_by_subj: topo.names.verdictSubject(quick.exp.batchId) });
    expect(verdictV1.parse(culprit!.json())).toMatchObject({ reason: 'WRONG_HALF', workerId: slow.workers[1].id });
    expect(verdictV1.parse(combined!.json())).toMatchObject({ accepted: true });
    // The attempt published after the failed one was decided first: the recomputation did not hold it up.
    expect(combined!.seq).toBeLessThan(culprit!.seq);
  }, 150_000);
});
