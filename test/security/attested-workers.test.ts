import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchStore } from '../../orchestrator/store/batch-store.ts';
import { leaseV1, type LeaseV1 } from '../../protocol/messages/work.ts';
import { loadOrCreateIdentity } from '../../swarm/identity/ed25519.ts';
import { DevEnclave } from '../../worker/tee/dev-enclave.ts';
import { batchSecrets, findLeaks, scannerBlindSpots, type RecordedMessage } from '../support/batch-secrets.ts';
import { SecretIndex } from '../support/secret-scan.ts';
import { Swarm } from '../support/swarm-harness.ts';

/** The deposits' amount. */
const AMOUNT = 8_765_432_109n;
/** How long the lapsing worker's dev enclave certificate lives after it starts. */
const LAPSE_MS = 15_000;

let swarm: Swarm;
let recording: Awaited<ReturnType<Swarm['recordMessages']>>;
let recorded: RecordedMessage[] = [];
const enclaveDir = mkdtempSync(join(tmpdir(), 'drex-dev-enclave-'));

/** Every lease the job gateway wrote (each PUT of the leases bucket), in order. */
function leases(): LeaseV1[] {
  return recorded
    .filter((m) => m.subject.startsWith('$KV.drex_dev_leases.') && m.data.length > 0)
    .map((m) => leaseV1.safeParse(JSON.parse(Buffer.from(m.data).toString('utf8'))))
    .flatMap((p) => (p.success ? [p.data] : []));
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  // The deployment trusts this dev root, and no worker by id: whole jobs go to attested TEE workers only.
  const enclave = await DevEnclave.create();
  await enclave.saveRoot(enclaveDir);
  swarm = await new Swarm({ workers: 0, proving: 'whole', ledger: true, trustWorkers: false, attestation: { roots: [{ name: 'test dev enclave root', pem: enclave.rootPem() }] } }).start();
  recording = await swarm.recordMessages();
  recorded = recording.recorded;
}, 600_000);

afterAll(async () => {
  await recording?.close();
  await swarm?.stop();
}, 120_000);

describe('attested whole-witness jobs', () => {
  it('a batch settles proved only by dev-attested workers; a plain worker never holds a job; an attestation that lapses mid-batch stops new jobs to its worker; no secret in NATS or logs', async () => {
    await swarm.addWorker(1); // worker 0: a member, not trusted, not attested
    await swarm.addWorker(1, ['--tee-dev', enclaveDir]); // worker 1: attested for the whole test
    const plain = loadOrCreateIdentity(swarm.workerKeyFile(0)).id;
    const steady = loadOrCreateIdentity(swarm.workerKeyFile(1)).id;
    const c = swarm.client('central-bank');
    const { batchId } = await c.submit(swarm.depositIntents(4, AMOUNT), 'attested');
    // Once the batch is being proved, a second TEE worker joins whose enclave certificate lapses soon.
    await until('a first job to be leased', () => leases().length > 0, 300_000);
    const lapsingStart = Date.now();
    await swarm.addWorker(1, ['--tee-dev', enclaveDir, '--tee-dev-valid-for-ms', String(LAPSE_MS)]);
    const lapsing = loadOrCreateIdentity(swarm.workerKeyFile(2)).id;
    const events = await c.watch(batchId, () => {}, { finalStates: new Set(['SETTLED', 'FAILED']) });
    expect(events.at(-1)!.state).toBe('SETTLED');

    const all = leases();
    const holders = new Set(all.map((l) => l.workerId));
    expect(holders.has(plain)).toBe(false);
    expect([...holders].every((w) => w === steady || w === lapsing)).toBe(true);
    // The lapsing worker proved while attested, got nothing once its certificate ended, and the batch went on without it.
    const byLapsing = all.filter((l) => l.workerId === lapsing && l.state === 'held');
    expect(byLapsing.length).toBeGreaterThan(0);
    // Its attestation's end as the gateway verified it: the enclave certificate's, LAPSE_MS after the worker started.
    const lapseEnd = Math.max(...byLapsing.map((l) => l.attestation!.untilMs));
    expect(lapseEnd).toBeLessThanOrEqual(lapsingStart + LAPSE_MS + 15_000);
    expect(byLapsing.every((l) => l.grantedMs < lapseEnd)).toBe(true);
    expect(all.some((l) => l.workerId === steady && l.grantedMs > lapseEnd)).toBe(true);
    expect(await swarm.metric('drex_gateway_attestation_checks_total', { result: 'refused' })).toBeGreaterThan(0);
    // Every accepted proof names an attested worker and its attestation when the job was granted, kept with the proof.
    const accepted = recorded
      .filter((m) => m.subject === `drex.dev.verdicts.v1.${batchId}`)
      .map((m) => JSON.parse(Buffer.from(m.data).toString('utf8')) as { accepted: boolean; index: number; workerId: string; attestation?: { moduleId: string; root: string; untilMs: number } })
      .filter((v) => v.accepted);
    const proved = new Set(accepted.map((v) => v.index));
    expect(proved.size).toBeGreaterThanOrEqual(8); // the dev banks have 4 accounts each: 8 deposits
    expect(accepted.every((v) => (v.workerId === steady || v.workerId === lapsing) && v.attestation?.root === 'test dev enclave root')).toBe(true);
    expect(accepted.filter((v) => v.workerId === lapsing).every((v) => v.attestation!.untilMs <= lapseEnd)).toBe(true);
    const redis = new Redis(swarm.redis.url);
    const stored = await new BatchStore(redis, 'drex:dev:').proofs(batchId);
    redis.disconnect();
    expect(stored.length).toBe(proved.size);
    expect(stored.every((p) => p.attestation?.moduleId.startsWith('drex-dev-enclave-'))).toBe(true);

    // No private input or witness value of the batch in any NATS message or log line.
    const publicValues = new Set<string>(
      recorded
        .filter((m) => m.subject.startsWith('$KV.drex_dev_jobs.') && m.data.length > 0)
        .flatMap((m) => (JSON.parse(Buffer.from(m.data).toString('utf8')) as { publicSignals?: string[] }).publicSignals ?? []),
    );
    const secrets = await batchSecrets(swarm.redis.url, batchId, publicValues);
    const index = new SecretIndex(secrets);
    expect(index.size).toBeGreaterThan(1000);
    // A deposit's amount is public (its value balance): the scanner is probed with a private value instead.
    const probe = secrets.find((s) => s.value >= 1n << 32n);
    expect(probe).toBeDefined();
    expect(scannerBlindSpots(index, probe!.value)).toEqual([]);
    expect(findLeaks(index, recorded, swarm.dir).slice(0, 20)).toEqual([]);
  }, 900_000);
});
