import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchStore } from '../../orchestrator/store/batch-store.ts';
import { leaseShareObject } from '../../protocol/messages/half.ts';
import { leaseV1, type LeaseV1 } from '../../protocol/messages/work.ts';
import { decodeSealed, openSealed, SealOpenError } from '../../swarm/sealing/hpke-seal.ts';
import { loadOrCreateSealKey } from '../../swarm/sealing/seal-key-file.ts';
import { generateSealKeyPair } from '../../swarm/sealing/seal-keys.ts';
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

/** The re-sealed shares the gateway wrote for `leaseIds` (object `lease/<lease id>` of the shares store), from the recorded chunks. */
function byLeaseShare(leaseIds: readonly string[]): { leaseId: string; bytes: Uint8Array }[] {
  const wanted = new Map(leaseIds.map((id) => [leaseShareObject(id), id]));
  const out: { leaseId: string; bytes: Uint8Array }[] = [];
  for (const m of recorded) {
    if (!m.subject.startsWith('$O.drex_dev_shares.M.')) continue;
    const info = JSON.parse(Buffer.from(m.data).toString('utf8')) as { name?: string; nuid?: string; deleted?: boolean };
    const leaseId = info.name ? wanted.get(info.name) : undefined;
    if (!leaseId || info.deleted || !info.nuid) continue;
    const chunks = recorded.filter((c) => c.subject === `$O.drex_dev_shares.C.${info.nuid}`).map((c) => c.data);
    out.push({ leaseId, bytes: Buffer.concat(chunks) });
  }
  return out;
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
  it('a batch settles proved only by dev-attested workers; a plain worker never holds a job; an attestation that lapses mid-batch stops new jobs to its worker; a sealed job opens with no other key; no secret in NATS or logs', async () => {
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

    // Each whole job's inputs, re-sealed to its taker's key (as they crossed NATS into the shares store),
    // open with no other key: not a fresh one, not even the gateway's own.
    const gatewayKey = await loadOrCreateSealKey(swarm.sealKeyFile);
    const someoneElse = await generateSealKeyPair();
    const sealedShares = byLeaseShare(all.filter((l) => l.state === 'held').map((l) => l.leaseId));
    expect(sealedShares.length).toBeGreaterThanOrEqual(proved.size);
    for (const { leaseId, bytes } of sealedShares) {
      for (const key of [gatewayKey, someoneElse]) {
        await expect(openSealed(key, decodeSealed(bytes), new TextEncoder().encode(leaseId))).rejects.toBeInstanceOf(SealOpenError);
      }
    }

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
