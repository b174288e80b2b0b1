import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { halfJobId, speculativeHalfJobId, type HalfJobV1 } from '../../protocol/messages/half.ts';
import { ensureTopology } from '../../protocol/nats-topology.ts';
import { useNatsTopology } from '../../test/support/nats-topology-for-tests.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { silentLog } from '../../test/support/test-logger.ts';
import { jobIdOf } from '../dispatch/dispatcher.ts';
import { BatchStore } from '../store/batch-store.ts';
import { watchDeadLetters } from './dead-letters.ts';
import type { Reissuer } from './reissuer.ts';

const DEPLOYMENT = 'dead-letters-test';
const nats = useNatsTopology(DEPLOYMENT);
const redis = useRedisServer();

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dead letters', () => {
  it('take a speculative copy that ran out of deliveries out of the stream without re-issuing; re-issue an original half\'s attempt', async () => {
    const { nc, topo } = nats();
    await ensureTopology(nc, { deployment: DEPLOYMENT, jobMaxDeliver: 1 });
    const calls: unknown[][] = [];
    const reissuer = { reissue: async (...args: unknown[]) => void calls.push(args) } as unknown as Reissuer;
    const watch = watchDeadLetters({ names: topo.names, nc, jsm: topo.jsm, store: new BatchStore(redis(), 'dead-letters:'), reissuer, log: silentLog });
    try {
      const batchId = `0x${'ab'.repeat(32)}`;
      const proofId = jobIdOf(batchId, 1, 0, 1);
      const half = (jobId: string): HalfJobV1 => ({
        v: 1, kind: 'half', jobId, proofId, half: 0, batchId, index: 0, planVersion: 1, attempt: 1, circuit: 'transfer',
        artifact: 'a'.repeat(64), share: { object: `share/${halfJobId(proofId, 0)}`, bytes: 10 }, deadlineMs: 60_000, enqueuedMs: Date.now(),
      });
      const js = jetstream(nc);
      const consumer = await js.consumers.get(topo.names.jobsStream, topo.names.proversConsumer);
      const stored = async () => (await topo.jsm.streams.info(topo.names.jobsStream)).state.messages;
      // Its one delivery, handed back; the next pull finds it out of deliveries (the advisory).
      const deliverOnce = async () => {
        (await consumer.next({ expires: 2_000 }))!.nak();
        expect(await consumer.next({ expires: 1_000 })).toBeNull();
      };
      await js.publish(topo.names.halfJobSubject, JSON.stringify(half(speculativeHalfJobId(halfJobId(proofId, 0)))));
      await deliverOnce();
      await until('the copy to leave the stream', async () => (await stored()) === 0);
      expect(calls).toEqual([]);
      // The original half of the current attempt: the attempt is re-issued.
      await js.publish(topo.names.halfJobSubject, JSON.stringify(half(halfJobId(proofId, 0))));
      await deliverOnce();
      await until('the attempt to be re-issued', () => calls.length === 1);
      expect(calls).toEqual([[batchId, 1, 0, 'dead-letter']]);
      expect(await stored()).toBe(0);
    } finally {
      watch.stop();
    }
  });
});
