import { describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../protocol/canonical.ts';
import type { MemberEntryV1 } from '../../protocol/messages/member.ts';
import { generateIdentity, type Identity } from '../../swarm/identity/ed25519.ts';
import { useNatsTopology } from '../../test/support/nats-topology-for-tests.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { silentLog } from '../../test/support/test-logger.ts';
import { createMetrics } from '../metrics.ts';
import { httpApp } from '../http/http-app.ts';
import { RegulatorTokens } from '../http/regulator-tokens.ts';
import { BatchStore } from '../store/batch-store.ts';
import { MemberDirectory, type WorkerView } from './member-directory.ts';

const nats = useNatsTopology('members-test');
const redis = useRedisServer();

/** A membership entry of `id` signed by it (as workers write them). */
function entry(id: Identity, over: Partial<MemberEntryV1> = {}): MemberEntryV1 {
  const unsigned = { v: 1 as const, workerId: id.id, runtime: 'node' as const, threads: 4, gpu: false, tee: false, score: 3.5, ts: Date.now(), ttlMs: 30_000, ...over };
  delete (unsigned as Partial<MemberEntryV1>).signature;
  return { ...unsigned, signature: id.sign(canonicalBytes(unsigned)) } as MemberEntryV1;
}

async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the members replica', () => {
  it('lists signed entries from the members bucket with runtime, backend, operator, liveness and attestation, and refuses forged ones', async () => {
    const { topo } = nats();
    const [node, browser, tee, forged, old] = Array.from({ length: 5 }, () => generateIdentity().identity);
    await topo.members.put(node!.id, JSON.stringify(entry(node!, { msmBackend: 'wasm', operator: 'bank-a-ops' })));
    const dir = new MemberDirectory({ kv: topo.members, log: silentLog });
    await dir.start();
    try {
      // Entries put after the watch started arrive too.
      await topo.members.put(browser!.id, JSON.stringify(entry(browser!, { runtime: 'browser', msmBackend: 'webgpu', gpu: true, threads: 8, operator: 'volunteers' })));
      await topo.members.put(tee!.id, JSON.stringify(entry(tee!, { runtime: 'tee', tee: true })));
      await topo.members.put(forged!.id, JSON.stringify({ ...entry(forged!), score: 99 })); // changed after signing
      await topo.members.put(old!.id, JSON.stringify(entry(old!, { ts: Date.now() - 60_000, ttlMs: 30_000 })));
      await until(() => dir.list().workers.length === 4 && dir.list().refused.length === 1);
      const { workers, refused } = dir.list();
      const by = new Map(workers.map((w) => [w.workerId, w]));
      expect(by.get(node!.id)).toMatchObject<Partial<WorkerView>>({ runtime: 'node', msmBackend: 'wasm', threads: 4, operator: 'bank-a-ops', score: 3.5, liveness: 'live', attestation: 'none', reputation: null });
      expect(by.get(browser!.id)).toMatchObject<Partial<WorkerView>>({ runtime: 'browser', msmBackend: 'webgpu', gpu: true, threads: 8, liveness: 'live' });
      expect(by.get(tee!.id)).toMatchObject<Partial<WorkerView>>({ runtime: 'tee', tee: true, msmBackend: null, attestation: 'unverified' });
      expect(by.get(old!.id)!.liveness).toBe('expired');
      expect(workers.at(-1)!.workerId).toBe(old!.id); // live ones first
      expect(refused).toEqual([{ key: forged!.id, problem: 'the entry is not signed by the worker' }]);
      expect(dir.labelsOf(browser!.id)).toEqual({ runtime: 'browser', msmBackend: 'webgpu' });
      expect(dir.labelsOf('00'.repeat(32))).toEqual({ runtime: 'unknown', msmBackend: 'unknown' });

      // The regulator API serves the same list.
      const token = 'workers-test-token-0123456789';
      const app = httpApp({ registry: createMetrics().registry, health: async () => ({ status: 'ok', checks: {} }), regulator: { tokens: new RegulatorTokens([token]), store: new BatchStore(redis(), 'members:'), members: dir } });
      const res = await app.request('/api/v1/workers', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { workers: WorkerView[]; refused: unknown[]; reputation: string };
      expect(body.workers.map((w) => w.workerId).sort()).toEqual([node!.id, browser!.id, tee!.id, old!.id].sort());
      expect(body.reputation).toMatch(/^none/);
      const page = await app.request('/portal/workers', { headers: { authorization: `Bearer ${token}` } });
      expect(await page.text()).toContain('webgpu');

      // A deleted key leaves the list.
      await topo.members.delete(node!.id);
      await until(() => !dir.list().workers.some((w) => w.workerId === node!.id));
    } finally {
      dir.stop();
    }
  });
});
