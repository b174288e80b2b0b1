import { DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type TestNatsServer } from '../test/support/nats-server.ts';
import { DEFAULT_TOPOLOGY, ensureTopology, kvStream } from './nats-topology.ts';
import { natsNames } from './subjects.ts';

let server: TestNatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('JetStream topology retention', () => {
  it('gives every stream and bucket bounded retention; jobs never expire by age', async () => {
    const t = await ensureTopology(nc, { deployment: 'limits' });
    const cfg = async (name: string) => (await t.jsm.streams.info(name)).config;
    const jobs = await cfg(t.names.jobsStream);
    expect(jobs).toMatchObject({ retention: RetentionPolicy.Workqueue, max_age: 0, max_bytes: DEFAULT_TOPOLOGY.jobsMaxBytes, discard: DiscardPolicy.New });
    for (const s of [t.names.resultsStream, t.names.verdictsStream, t.names.readyStream, t.names.settledStream]) {
      expect(await cfg(s)).toMatchObject({
        retention: RetentionPolicy.Workqueue,
        max_age: nanos(DEFAULT_TOPOLOGY.messagesMaxAgeMs),
        max_bytes: DEFAULT_TOPOLOGY.messagesMaxBytes,
        discard: DiscardPolicy.Old,
      });
    }
    expect(await cfg(kvStream(t.names.jobsBucket))).toMatchObject({ max_age: 0, max_bytes: DEFAULT_TOPOLOGY.jobsKvMaxBytes, discard: DiscardPolicy.New });
    expect(await cfg(`OBJ_${t.names.artifactsBucket}`)).toMatchObject({ max_bytes: DEFAULT_TOPOLOGY.artifactsMaxBytes, discard: DiscardPolicy.New });
  });

  it('brings streams and buckets made by an older version (no limits) to the configured limits', async () => {
    const names = natsNames('older');
    const jsm = await jetstreamManager(nc);
    // What an older version created: work queues without limits, a plain KV bucket.
    await jsm.streams.add({ name: names.resultsStream, subjects: [names.resultSubjects], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    await jsm.streams.add({ name: names.jobsStream, subjects: [names.jobSubjects], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
    await jetstream(nc).publish(names.resultSubject('b1'), 'kept');
    const t = await ensureTopology(nc, { deployment: 'older', messagesMaxAgeMs: 3_600_000, messagesMaxBytes: 1_000_000, jobsMaxBytes: 2_000_000, jobsKvMaxBytes: 3_000_000 });
    expect((await jsm.streams.info(names.resultsStream)).config).toMatchObject({ max_age: nanos(3_600_000), max_bytes: 1_000_000, discard: DiscardPolicy.Old });
    expect((await jsm.streams.info(names.jobsStream)).config).toMatchObject({ max_age: 0, max_bytes: 2_000_000, discard: DiscardPolicy.New });
    expect((await jsm.streams.info(kvStream(names.jobsBucket))).config.max_bytes).toBe(3_000_000);
    // The update keeps what the stream holds.
    expect((await jsm.streams.info(names.resultsStream)).state.messages).toBe(1);
    // Calling it again with other limits updates them again.
    await ensureTopology(nc, { deployment: 'older', jobsKvMaxBytes: 4_000_000 });
    expect((await t.jsm.streams.info(kvStream(names.jobsBucket))).config.max_bytes).toBe(4_000_000);
  });

  it('refuses a new job when the jobs stream is full instead of dropping a queued one', async () => {
    const t = await ensureTopology(nc, { deployment: 'full', jobsMaxBytes: 4096 });
    const js = jetstream(nc);
    const body = 'x'.repeat(1000);
    let refused: unknown;
    let stored = 0;
    for (let i = 0; i < 10 && !refused; i++) {
      try {
        await js.publish(t.names.jobSubject('transfer'), body, { msgID: `job-${i}` });
        stored++;
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(Error);
    const info = await t.jsm.streams.info(t.names.jobsStream);
    // Every job accepted is still there, starting with the first.
    expect(info.state.messages).toBe(stored);
    expect(info.state.first_seq).toBe(1);
  });

  it('refuses a max age shorter than the de-duplication window', async () => {
    await expect(ensureTopology(nc, { deployment: 'short', messagesMaxAgeMs: 1000 })).rejects.toMatchObject({ code: 'TOPOLOGY_OPTIONS_INVALID' });
  });
});
