import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { VerdictV1 } from '../protocol/messages/verdict.ts';
import { generateIdentity } from '../swarm/identity/ed25519.ts';
import { startMembershipService } from '../swarm/membership/membership-service.ts';
import { announceMember } from '../swarm/membership/test-support/announce-member.ts';
import { useNatsTopology } from '../test/support/nats-topology-for-tests.ts';
import { useRedisServer } from '../test/support/redis-for-tests.ts';
import { silentLog } from '../test/support/test-logger.ts';
import type { ValidatedBatch } from './api/validate-submit.ts';
import { httpApp } from './http/http-app.ts';
import { RegulatorTokens } from './http/regulator-tokens.ts';
import { MemberDirectory } from './members/member-directory.ts';
import { createMetrics } from './metrics.ts';
import { jobCounts, observeFinished, observeProof } from './metrics-sources.ts';
import { BatchStore } from './store/batch-store.ts';

const nats = useNatsTopology('metrics-test');
const redis = useRedisServer();

/**
 * Prometheus text exposition (0.0.4): HELP and TYPE lines, then samples `name{label="v",...} value`;
 * NaN and Inf are read case-insensitively by Prometheus (Go's ParseFloat), and prom-client writes `Nan`.
 */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\["\\n]|[^"\\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\["\\n]|[^"\\\n])*")*\})? (-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[Nn][Aa][Nn]|[+-][Ii][Nn][Ff])( -?\d+)?$/;
const HELP = /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/;
const TYPE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;

/** Checks every line of an exposition and answers its samples (`name{labels}` -> value); throws at the first bad line. */
function parseExposition(text: string): Map<string, number> {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      expect(line, 'HELP line').toMatch(HELP);
      continue;
    }
    const t = TYPE.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line of the exposition format: ${JSON.stringify(line)}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && !types.has(family)) throw new Error(`sample of a family without TYPE: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[7]));
  }
  return samples;
}

const validated = (id: string): ValidatedBatch => ({ batchId: id, bankId: 'bank-a', idempotencyKey: id, requestHash: id, intents: [{} as ValidatedBatch['intents'][number]], intentNullifiers: [`${id}-n`] });
const plan = (proofs: number) => ({ version: 1, points: Array.from({ length: proofs + 1 }, (_, i) => ({ noteRoot: `${i}`, noteIndex: 2 * i, nullRoot: `${i}` })), proofs: Array.from({ length: proofs }, (_, index) => ({ index, input: {}, publicSignals: [], transfers: [index] })) });
const delta = () => ({ depth: 4, nullDepth: 5, sizeBefore: 0, keysBefore: 0, noteRootBefore: 'a', noteRootAfter: 'b', nullRootAfter: 'c', leaves: [], keys: [], added: [], removed: [] });

describe('/metrics', () => {
  it('is valid Prometheus text, and its jobs, queue depth, proof timings, batch latency and refusals move when things happen', async () => {
    const { nc, topo } = nats();
    const store = new BatchStore(redis(), 'metrics:');
    const metrics = createMetrics();
    metrics.scrapeSources.jobs = () => jobCounts(store);
    metrics.scrapeSources.queue = async () => {
      const info = await topo.jsm.consumers.info(topo.names.jobsStream, topo.names.proversConsumer);
      return { pending: info.num_pending, inFlight: info.num_ack_pending };
    };
    observeFinished(store, metrics, { settles: true, log: silentLog });
    const app = httpApp({ registry: metrics.registry, health: async () => ({ status: 'ok', checks: {} }), regulator: { tokens: new RegulatorTokens(['metrics-test-token-0123456789']), store, metrics } });
    const scrape = async () => {
      const res = await app.request('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(await res.text());
    };

    const before = await scrape();
    expect(before.get('drex_jobs{state="proving"}')).toBe(0);
    expect(before.get('drex_job_queue_depth{state="pending"}')).toBe(0);

    // A proving batch with 3 proofs, one verified; a planned one with 2; two jobs on the queue.
    await store.create(validated('p1'));
    await store.recordPlan('p1', { plan: plan(3), delta: delta(), replan: false, message: 'planned' });
    await store.markProving('p1', 1, 3);
    await store.acceptProof('p1', 1, { index: 0, jobId: 'j', workerId: 'w', proof: {}, publicSignals: [], proveMs: 1 });
    await store.create(validated('p2'));
    await store.recordPlan('p2', { plan: plan(2), delta: delta(), replan: false, message: 'planned' });
    const js = jetstream(nc);
    for (const n of [1, 2]) await js.publish(topo.names.jobSubject('transfer'), JSON.stringify({ n }), { msgID: `metrics-${n}` });
    // A batch failing (its latency observed), refused API requests, and proofs by two kinds of workers.
    await store.create(validated('f1'), Date.now() - 5_000);
    await store.fail('f1', { eventCode: 'PLANNING_FAILED', code: 'PLANNING_FAILED', message: 'refused', intentNullifiers: [], planningRefused: true });
    expect((await app.request('/api/v1/batches')).status).toBe(401);
    expect((await app.request('/api/v1/batches?limit=x', { headers: { authorization: 'Bearer metrics-test-token-0123456789' } })).status).toBe(400);
    const membership = await startMembershipService({ nc, names: topo.names });
    const dir = new MemberDirectory({ membership });
    const [nodeW, browserW] = [generateIdentity().identity, generateIdentity().identity];
    for (const [w, runtime, msmBackend] of [[nodeW, 'node', 'wasm'], [browserW, 'browser', 'webgpu']] as const) {
      await announceMember(nc, topo.names, w, { capabilities: { runtime, msmBackend } });
    }
    const verdict = (workerId: string, halfWorkers?: [string, string]) =>
      ({ v: 1, accepted: true, jobId: 'j', batchId: '0x', index: 0, planVersion: 1, workerId, halfWorkers, proof: {}, publicSignals: [], proveMs: 1500, enqueuedMs: 1_000, verifiedMs: 4_000, signer: '', signature: '' }) as unknown as Extract<VerdictV1, { accepted: true }>;
    observeProof(metrics, (w) => dir.labelsOf(w), verdict(browserW.id));
    observeProof(metrics, (w) => dir.labelsOf(w), verdict(nodeW.id, [nodeW.id, browserW.id]));
    await new Promise((r) => setTimeout(r, 50)); // the latency observation reads the record

    const after = await scrape();
    expect(after.get('drex_jobs{state="proving"}')).toBe(2);
    expect(after.get('drex_jobs{state="waiting"}')).toBe(2);
    expect(after.get('drex_jobs{state="verified"}')).toBe(1);
    expect(after.get('drex_job_queue_depth{state="pending"}')).toBe(2);
    expect(after.get('drex_job_queue_depth{state="in_flight"}')).toBe(0);
    expect(after.get('drex_batch_latency_seconds_count{state="FAILED"}')).toBe(1);
    expect(after.get('drex_batch_latency_seconds_sum{state="FAILED"}')).toBeGreaterThanOrEqual(5);
    expect(after.get('drex_api_requests_refused_total{code="UNAUTHORIZED"}')).toBe(1);
    expect(after.get('drex_api_requests_refused_total{code="BAD_QUERY"}')).toBe(1);
    expect(after.get('drex_job_prove_seconds_count{mode="whole",runtime="browser",msm_backend="webgpu"}')).toBe(1);
    expect(after.get('drex_job_prove_seconds_sum{mode="whole",runtime="browser",msm_backend="webgpu"}')).toBe(1.5);
    expect(after.get('drex_job_turnaround_seconds_sum{mode="split",runtime="mixed",msm_backend="mixed"}')).toBe(3);
    expect(after.get('drex_job_results_total{outcome="accepted"}')).toBe(2);
    await membership.stop();
  });
});
