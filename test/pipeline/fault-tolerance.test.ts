import { generateSealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { jobExpectationV1, type JobExpectationV1 } from '../../protocol/messages/job.ts';
import type { UnsignedResultV1 } from '../../protocol/messages/result.ts';
import { DEFAULT_DEPLOYMENT, natsNames } from '../../protocol/subjects.ts';
import { generateIdentity } from '../../swarm/identity/ed25519.ts';
import { announceMember } from '../../swarm/membership/test-support/announce-member.ts';
import { GatewayClient } from '../../worker/runtime/gateway-client.ts';
import type { StoredProof } from '../../orchestrator/store/batch-store.ts';
import type { WatchedEvent } from '../../cli/bank/bank-client.ts';
import { Swarm } from '../support/swarm-harness.ts';

/** The deployment the swarm under test runs as (the default). */
const NATS = natsNames(DEFAULT_DEPLOYMENT);

let swarm: Swarm;
let nc: NatsConnection;
let redis: Redis;

beforeAll(async () => {
  swarm = await new Swarm({ workers: 2, jobAckWaitMs: 8_000, jobTimeoutMs: 120_000 }).start();
  nc = await connect({ servers: swarm.nats.url, ...(await swarm.connectOptions()) });
  redis = new Redis(swarm.redis.url);
  const funding = await swarm.run('central-bank', swarm.depositIntents(2), 'funding');
  expect(funding.last.state).toBe('VERIFIED');
}, 600_000);

afterAll(async () => {
  redis?.disconnect();
  await nc?.close();
  await swarm?.stop();
}, 120_000);

function readLog(s: Swarm, worker: number): string {
  try {
    return readFileSync(join(s.dir, `worker-${worker}.log`), 'utf8');
  } catch {
    return '';
  }
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function storedProofs(batchId: string): Promise<StoredProof[]> {
  const h = await redis.hgetall(`drex:dev:batch:${batchId}:proofs`);
  return Object.values(h).map((s) => JSON.parse(s) as StoredProof).sort((a, b) => a.index - b.index);
}

async function expectProvedOnceEach(batchId: string, n: number): Promise<void> {
  const proofs = await storedProofs(batchId);
  expect(proofs.map((p) => p.index)).toEqual(Array.from({ length: n }, (_, i) => i));
  const plan = JSON.parse((await redis.get(`drex:dev:batch:${batchId}:plan`))!) as { proofs: { publicSignals: string[] }[] };
  const vkey = JSON.parse(readFileSync((await ensureArtifacts()).vkey, 'utf8')) as unknown;
  for (const p of proofs) {
    expect(p.publicSignals).toEqual(plan.proofs[p.index]!.publicSignals);
    expect(await snarkjs.groth16.verify(vkey, p.publicSignals, p.proof as snarkjs.Groth16Proof)).toBe(true);
  }
}

describe('the pipeline survives faults', () => {
  it('redelivers the job of a worker killed (SIGKILL) mid-proof, and the batch completes', async () => {
    const jsm = await jetstreamManager(nc);
    const client = swarm.client('bank-a');
    const res = await client.submit(swarm.transferIntents('bank-a', 3), 'kill-worker');
    await client.watch(res.batchId, () => {}, { finalStates: new Set(['PROVING']) });
    // Kill the first worker that holds a job of this batch, while it proves.
    const victim = await waitFor(async () => {
      for (const [i, w] of swarm.workers.entries()) {
        if (w.child.exitCode !== null) continue;
        const lines = readLog(swarm, i).split('\n').filter((l) => l.includes(res.batchId));
        const started = lines.filter((l) => l.includes('"msg":"job started"')).length;
        const proved = lines.filter((l) => l.includes('"msg":"job proved"')).length;
        if (started > proved) return w;
      }
      return undefined;
    });
    await victim.kill();
    await swarm.addWorker();
    const events = await client.watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    expect(events.at(-1)!.state).toBe('VERIFIED');
    // The killed worker's job went to another worker as a second delivery (its log line may follow the
    // verdict: the worker logs once its ack is confirmed).
    const redelivered = await waitFor(async () => {
      const lines = swarm.workers.map((_, i) => readLog(swarm, i)).join('\n').split('\n');
      const found = lines.filter((l) => l.includes('"msg":"job proved"') && l.includes(res.batchId) && /"delivery":[2-9]/.test(l));
      return found.length > 0 ? found : undefined;
    }, 30_000);
    expect(redelivered.length).toBeGreaterThan(0);
    expect((await jsm.consumers.info(NATS.jobsStream, NATS.proversConsumer)).num_pending).toBe(0);
    await expectProvedOnceEach(res.batchId, 3);
  }, 600_000);

  it('completes a batch across an orchestrator SIGKILL and restart, nothing lost or duplicated', async () => {
    const client = swarm.client('bank-b');
    const res = await client.submit(swarm.transferIntents('bank-b', 4), 'kill-orchestrator');
    await client.watch(res.batchId, () => {}, { finalStates: new Set(['PROVING']) });
    await swarm.orchestrator.kill();
    await new Promise((r) => setTimeout(r, 2000));
    await swarm.startOrchestrator();
    const events = await swarm.client('bank-b').watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    expect(events.at(-1)!.state).toBe('VERIFIED');
    events.forEach((e, i) => expect(e.seq).toBe(i + 1));
    const provedMessages = events.filter((e) => /proved and verified|all proofs verified/.test(e.message));
    expect(provedMessages).toHaveLength(4);
    await expectProvedOnceEach(res.batchId, 4);
  }, 600_000);

  it('re-issues the job of its lease holder\'s result for other public signals; drops a malformed, an unsigned one and those of a member not holding the job (counted, no re-issue)', async () => {
    const js = jetstream(nc);
    const kv = await new Kvm(nc).open(NATS.jobsBucket);
    const { identity: evil } = generateIdentity();
    const { identity: other } = generateIdentity();
    const { identity: bystander } = generateIdentity();
    // The evil member is one the deployment trusts with whole jobs (a bank-run node gone bad).
    const sealKey = (await generateSealKeyPair()).publicKeyHex;
    swarm.trust(evil.id);
    for (const who of [evil, bystander]) await announceMember(nc, NATS, who, { capabilities: { sealKey } });
    // A valid proof of another transfer (the funding batch's first one).
    const fundingId = (await redis.keys('drex:dev:batch:*:proofs'))[0]!.split(':')[3]!;
    const foreign = (await storedProofs(fundingId))[0]!;

    const before = {
      wrong: await swarm.metric('drex_results_rejected_total', { reason: 'WRONG_PUBLIC_SIGNALS' }),
      malformed: await swarm.metric('drex_results_rejected_total', { reason: 'MALFORMED' }),
      unsigned: await swarm.metric('drex_results_rejected_total', { reason: 'BAD_SIGNATURE' }),
      notHolder: await swarm.metric('drex_results_rejected_total', { reason: 'NOT_LEASE_HOLDER' }),
    };
    // Hold the honest workers off the batch until every forged result was judged: with a worker running,
    // an honest proof accepted first makes the forged result for that index obsolete (no re-issue).
    for (const w of swarm.workers) await w.stop();

    await js.publish(NATS.resultSubject('0x' + '0'.repeat(64)), 'not json at all', { msgID: 'garbage-1' });
    const client = swarm.client('bank-a');
    const res = await client.submit(swarm.transferIntents('bank-a', 3), 'malicious');
    const seen: WatchedEvent[] = [];
    const waiters = new Set<() => void>();
    const watching = client.watch(res.batchId, (e) => {
      seen.push(e);
      for (const w of [...waiters]) w();
    }, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    /** Resolves once the batch's events satisfy `pred` (fails if the batch ends first). */
    const whenEvents = (pred: (es: readonly WatchedEvent[]) => boolean) =>
      Promise.race([
        new Promise<void>((resolve) => {
          const check = () => {
            if (!pred(seen)) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
          check();
        }),
        watching.then((es) => {
          throw new Error(`the batch ended (${es.at(-1)?.state}) before the awaited events`);
        }),
      ]);

    // Forge once the batch is PROVING and its first attempts are out (their expectations in the KV).
    await whenEvents((es) => es.some((e) => e.state === 'PROVING'));
    const expectations = new Map<number, JobExpectationV1>();
    const watcher = await kv.watch({ key: `${res.batchId}.>` });
    for await (const e of watcher) {
      if (e.operation !== 'PUT') continue;
      const exp = jobExpectationV1.safeParse(e.json());
      if (exp.success && exp.data.batchId === res.batchId && exp.data.attempt === 1) expectations.set(exp.data.index, exp.data);
      if (expectations.size === 3) break;
    }
    watcher.stop();
    // The evil member takes the batch's jobs through the job gateway: it holds their current leases.
    const gateway = new GatewayClient({ nc, names: NATS, identity: evil });
    const leases = new Map<number, string>();
    for (let tries = 0; leases.size < 3 && tries < 30; tries++) {
      const taken = await gateway.take(3 - leases.size, 2_000);
      for (const j of taken.jobs) {
        const job = JSON.parse(Buffer.from(j.job, 'base64').toString('utf8')) as { batchId: string; index: number };
        if (job.batchId === res.batchId) leases.set(job.index, j.leaseId);
        else await gateway.release(j.leaseId, 'nak');
      }
    }
    expect(leases.size).toBe(3);
    for (const exp of [...expectations.values()].sort((a, b) => a.index - b.index)) {
      const { jobId, batchId, index } = exp;
      const base: UnsignedResultV1 = {
        v: 1, jobId, leaseId: leases.get(index)!, batchId, index, workerId: evil.id, proof: foreign.proof as UnsignedResultV1['proof'],
        publicSignals: foreign.publicSignals, witnessMs: 1, proveMs: 1, startedMs: Date.now(), finishedMs: Date.now(),
      };
      let body: string;
      if (index === 0) body = JSON.stringify({ ...base, signature: evil.sign(canonicalBytes(base)) }); // the holder: valid proof, other signals
      else if (index === 1) body = JSON.stringify({ v: 1, jobId, batchId, index, workerId: evil.id, signature: 'zz' }); // malformed
      else body = JSON.stringify({ ...base, publicSignals: exp.publicSignals, signature: other.sign(canonicalBytes(base)) }); // not signed by its worker
      await js.publish(NATS.resultSubject(batchId), body, { msgID: `${jobId}:evil` });
      // A live member that does not hold the job, signing correctly, naming the holder's lease.
      const stray: UnsignedResultV1 = { ...base, workerId: bystander.id, publicSignals: index === 0 ? exp.publicSignals : foreign.publicSignals };
      await js.publish(NATS.resultSubject(batchId), JSON.stringify({ ...stray, signature: bystander.sign(canonicalBytes(stray)) }), { msgID: `${jobId}:bystander` });
    }

    // The holder's result with other signals is rejected with a verdict and its job re-issued. The
    // malformed one, the one not signed by the worker it names and those of a member that does not hold
    // the job cannot be attributed to the job's holder: dropped and counted, no verdict, no re-issue.
    const expectedReissue = 'transfer 0: job re-issued (attempt 2, rejected:WRONG_PUBLIC_SIGNALS)';
    await whenEvents((es) => es.some((e) => e.message === expectedReissue));
    await waitFor(async () =>
      (await swarm.metric('drex_results_rejected_total', { reason: 'MALFORMED' })) >= before.malformed + 2 &&
      (await swarm.metric('drex_results_rejected_total', { reason: 'BAD_SIGNATURE' })) > before.unsigned &&
      (await swarm.metric('drex_results_rejected_total', { reason: 'NOT_LEASE_HOLDER' })) >= before.notHolder + 3
        ? true
        : undefined,
    );
    // The evil member hands its jobs back (else they come back after their ack wait).
    for (const leaseId of leases.values()) await gateway.release(leaseId, 'nak');
    expect(await storedProofs(res.batchId)).toEqual([]);
    expect(await swarm.metric('drex_results_rejected_total', { reason: 'WRONG_PUBLIC_SIGNALS' })).toBeGreaterThan(before.wrong);
    expect(seen.filter((e) => /^transfer [12]: job re-issued/.test(e.message)).map((e) => e.message)).toEqual([]);
    expect(swarm.aggregator.intake.reputationOf(evil.id)).toBeLessThan(100);

    // Now the honest workers prove the batch.
    await Promise.all([swarm.addWorker(), swarm.addWorker()]);
    const events = await watching;
    expect(events.at(-1)!.state).toBe('VERIFIED');
    const reissued = events.filter((e) => /re-issued/.test(e.message)).map((e) => e.message);
    expect(reissued).toContain(expectedReissue);
    expect(reissued.filter((m) => /rejected:(MALFORMED|BAD_SIGNATURE|NOT_A_MEMBER|UNKNOWN_JOB|NOT_LEASE_HOLDER)/.test(m))).toEqual([]);
    await expectProvedOnceEach(res.batchId, 3);
  }, 600_000);

  it('re-issues a job that left the queue without a verified proof (lost), and the batch completes', async () => {
    for (const w of swarm.workers) await w.stop();
    const client = swarm.client('bank-b');
    const res = await client.submit(swarm.transferIntents('bank-b', 2), 'lost-job');
    await client.watch(res.batchId, () => {}, { finalStates: new Set(['PROVING']) });
    // Take transfer 0's job out of the stream, as a worker that acked it and then lost its result would.
    const jsm = await jetstreamManager(nc);
    let taken = 0;
    for (let tries = 0; taken === 0 && tries < 100; tries++) {
      const { first_seq, last_seq } = (await jsm.streams.info(NATS.jobsStream)).state;
      for (let seq = first_seq; seq <= last_seq && taken === 0; seq++) {
        const m = await jsm.streams.getMessage(NATS.jobsStream, { seq });
        const job = m ? (m.json() as { batchId?: string; index?: number }) : null;
        if (job?.batchId === res.batchId && job.index === 0 && (await jsm.streams.deleteMessage(NATS.jobsStream, seq))) taken = seq;
      }
      if (taken === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(taken).toBeGreaterThan(0);
    await swarm.addWorker();
    const events = await client.watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    expect(events.at(-1)!.state).toBe('VERIFIED');
    expect(events.map((e) => e.message)).toContain('transfer 0: job re-issued (attempt 2, lost)');
    await expectProvedOnceEach(res.batchId, 2);
  }, 600_000);
});
