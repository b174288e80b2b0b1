import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../../swarm/identity/ed25519.ts';
import { signMemberEntry } from '../../swarm/membership/member-entry.ts';
import { startMembershipService } from '../../swarm/membership/membership-service.ts';
import { announceMember } from '../../swarm/membership/test-support/announce-member.ts';
import { useNatsTopology } from '../../test/support/nats-topology-for-tests.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { createMetrics } from '../metrics.ts';
import { httpApp } from '../http/http-app.ts';
import { RegulatorTokens } from '../http/regulator-tokens.ts';
import { BatchStore } from '../store/batch-store.ts';
import { MemberDirectory, type WorkerView } from './member-directory.ts';

const nats = useNatsTopology('members-test');
const redis = useRedisServer();

async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the member directory', () => {
  it('lists the workers its replica holds with runtime, backend, operator, liveness and attestation, and counts forged entries', async () => {
    const { nc, topo } = nats();
    const membership = await startMembershipService({ nc, names: topo.names, expiryIntervalMs: 100 });
    const dir = new MemberDirectory({ membership, reputationOf: (w) => (w === node!.id ? 87.5 : null) });
    const [node, browser, tee, forged, old] = Array.from({ length: 5 }, () => generateIdentity().identity);
    try {
      await announceMember(nc, topo.names, node!, { operator: 'bank-a-ops', score: 3.5, capabilities: { threads: 4 } });
      await announceMember(nc, topo.names, browser!, { operator: 'volunteers', capabilities: { runtime: 'browser', msmBackend: 'webgpu', gpu: true, threads: 8 } });
      await announceMember(nc, topo.names, tee!, { capabilities: { runtime: 'tee', tee: true } });
      await announceMember(nc, topo.names, old!, { ttlMs: 1_000 });
      expect(dir.list().workers).toHaveLength(4);
      // Changed after signing: the replica drops it as BAD_SIGNATURE.
      const wallMs = Date.now();
      const signed = signMemberEntry(forged!, { operator: 'x', capabilities: { runtime: 'node', threads: 1, msmBackend: 'wasm', gpu: false, tee: false }, score: 1, version: '0.1.0', hlc: { wallMs, counter: 0 }, expiresAtMs: wallMs + 60_000 });
      nc.publish(topo.names.membersAnnounce(forged!.id, 'x'), JSON.stringify({ ...signed, score: 99 }));
      await until(() => (dir.list().dropped.BAD_SIGNATURE ?? 0) === 1);
      await until(() => dir.list().workers.find((w) => w.workerId === old!.id)?.liveness === 'expired');
      const { workers } = dir.list();
      const by = new Map(workers.map((w) => [w.workerId, w]));
      expect(by.get(node!.id)).toMatchObject<Partial<WorkerView>>({ runtime: 'node', msmBackend: 'wasm', threads: 4, operator: 'bank-a-ops', score: 3.5, liveness: 'live', attestation: 'none', reputation: 87.5, version: '0.1.0' });
      expect(by.get(browser!.id)).toMatchObject<Partial<WorkerView>>({ runtime: 'browser', msmBackend: 'webgpu', gpu: true, threads: 8, liveness: 'live', reputation: null });
      expect(by.get(tee!.id)).toMatchObject<Partial<WorkerView>>({ runtime: 'tee', tee: true, attestation: 'unverified' });
      expect(by.has(forged!.id)).toBe(false);
      expect(workers.at(-1)!.workerId).toBe(old!.id); // live ones first
      expect(dir.labelsOf(browser!.id)).toEqual({ runtime: 'browser', msmBackend: 'webgpu' });
      expect(dir.labelsOf('00'.repeat(32))).toEqual({ runtime: 'unknown', msmBackend: 'unknown' });

      // The regulator API serves the same list.
      const token = 'workers-test-token-0123456789';
      const app = httpApp({ registry: createMetrics().registry, health: async () => ({ status: 'ok', checks: {} }), regulator: { tokens: new RegulatorTokens([token]), store: new BatchStore(redis(), 'members:'), members: dir } });
      const res = await app.request('/api/v1/workers', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { workers: WorkerView[]; dropped: Record<string, number>; reputation: string };
      expect(body.workers.map((w) => w.workerId).sort()).toEqual([node!.id, browser!.id, tee!.id, old!.id].sort());
      expect(body.dropped.BAD_SIGNATURE).toBe(1);
      const page = await (await app.request('/portal/workers', { headers: { authorization: `Bearer ${token}` } })).text();
      expect(page).toContain('webgpu');
      expect(page).toContain('87.5');
      expect(page).toContain('BAD_SIGNATURE');
    } finally {
      await membership.stop();
    }
  });
});
