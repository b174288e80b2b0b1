import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitHalfJobId } from '../../protocol/messages/half.ts';
import { loadOrCreateIdentity } from '../../swarm/identity/ed25519.ts';
import { Swarm } from '../support/swarm-harness.ts';
import { SecretIndex } from '../support/secret-scan.ts';
import { batchSecrets, findLeaks, scannerBlindSpots, type RecordedMessage } from '../support/batch-secrets.ts';

/** A value no sample transfer would carry by chance: the traced batch moves exactly this (and +1). */
const AMOUNT = 7_654_321_987n;

let swarm: Swarm;
let recording: Awaited<ReturnType<Swarm['recordMessages']>>;
let recorded: RecordedMessage[] = [];

/** Every recorded message on `subject` (or under it, with a trailing `>`), parsed. */
function messagesOn(prefix: string): Record<string, unknown>[] {
  return recorded.filter((m) => m.subject.startsWith(prefix) && m.data.length > 0).map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as Record<string, unknown>);
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  swarm = await new Swarm({ workers: 2, proving: 'split', ledger: true }).start();
  // Every message of the deployment, from before the first batch.
  recording = await swarm.recordMessages();
  recorded = recording.recorded;
}, 600_000);

afterAll(async () => {
  await recording?.close();
  await swarm?.stop();
}, 120_000);

describe('split proving: untrusted workers prove without learning a transfer', () => {
  it('settles batches with split jobs only; no amount, salt, key, nullifier key or witness value shows in any NATS message or log line', async () => {
    const settled = new Set(['SETTLED', 'FAILED']);
    const funding = await swarm.run('central-bank', swarm.depositIntents(2, 2n * AMOUNT), 'funding', settled);
    expect(funding.last.state).toBe('SETTLED');
    const traced = await swarm.run('bank-a', swarm.transferIntents('bank-a', 2, 2, AMOUNT), 'traced', settled);
    expect(traced.last.state).toBe('SETTLED');

    // Split jobs only: two halves per attempt, no whole job.
    expect(recorded.filter((m) => m.subject === 'drex.dev.jobs.v1.transfer')).toHaveLength(0);
    const halves = messagesOn('drex.dev.jobs.v1.half');
    expect(halves.filter((h) => h.batchId === traced.batchId).length).toBeGreaterThanOrEqual(4);

    // The traced batch's secrets: every private input of each transfer and every witness value.
    // Public by design: every batch's public signals (roots, next leaf, nullifier-set state) are on chain.
    const publicValues = new Set<string>(messagesOn('$KV.drex_dev_jobs.').flatMap((e) => (Array.isArray(e.publicSignals) ? (e.publicSignals as string[]) : [])));
    const secrets = await batchSecrets(swarm.redis.url, traced.batchId, publicValues);
    expect(secrets.some((s) => s.value === AMOUNT)).toBe(true);
    const index = new SecretIndex(secrets);
    expect(index.size).toBeGreaterThan(1000);
    expect(scannerBlindSpots(index, AMOUNT)).toEqual([]);
    const leaks = findLeaks(index, recorded, swarm.dir);
    expect(leaks.slice(0, 20)).toEqual([]);
  }, 900_000);

  it('a worker that answers a half with a wrong point: the batch still settles, the worker is named and loses reputation', async () => {
    // One honest worker and the faulty one: the two halves of the first attempt go one to each.
    await swarm.workers[1]!.stop(20_000);
    await swarm.addWorker(1, ['--fault', 'wrong-point']);
    const faulty = loadOrCreateIdentity(swarm.workerKeyFile(2)).id;
    const honest = loadOrCreateIdentity(swarm.workerKeyFile(0)).id;
    const c = swarm.client('bank-b');
    const { batchId } = await c.submit(swarm.transferIntents('bank-b', 1, 1), 'faulty-half');
    const wrongHalf = () => messagesOn(`drex.dev.verdicts.v1.${batchId}`).filter((v) => v.reason === 'WRONG_HALF');
    await until('the wrong half to be found', () => wrongHalf().length > 0, 300_000);
    expect([...new Set(wrongHalf().map((v) => v.workerId))]).toEqual([faulty]);
    // The culprit is excluded from the transfer: its re-issue needs another honest worker.
    await swarm.addWorker(1);
    const events = await c.watch(batchId, () => {}, { finalStates: new Set(['SETTLED', 'FAILED']) });
    expect(events.at(-1)!.state).toBe('SETTLED');
    expect(await swarm.metric('drex_worker_reputation', { worker: faulty.slice(0, 16) })).toBeLessThan(100);
    expect(await swarm.metric('drex_worker_reputation', { worker: honest.slice(0, 16) })).toBe(100);
  }, 900_000);

  it('no worker ever held both halves of one proof attempt', () => {
    const holders = new Map<string, [Set<string>, Set<string>]>();
    for (const lease of messagesOn('$KV.drex_dev_leases.')) {
      const half = typeof lease.jobId === 'string' ? splitHalfJobId(lease.jobId) : null;
      if (!half || typeof lease.workerId !== 'string') continue;
      const h = holders.get(half.proofId) ?? [new Set<string>(), new Set<string>()];
      h[half.half].add(lease.workerId);
      holders.set(half.proofId, h);
    }
    expect(holders.size).toBeGreaterThanOrEqual(5);
    for (const [proofId, [h0, h1]] of holders) expect([...h0].filter((w) => h1.has(w)), proofId).toEqual([]);
  });
});
