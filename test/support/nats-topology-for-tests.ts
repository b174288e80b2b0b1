import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { ensureTopology, type Topology } from '../../protocol/nats-topology.ts';
import { startNatsServer, type TestNatsServer } from './nats-server.ts';

/**
 * A nats-server of the test file's own (fresh JetStream state, a free loopback port), a connection to it
 * and deployment `deployment`'s streams, consumers and buckets, for the tests of this file.
 */
export function useNatsTopology(deployment: string): () => { nc: NatsConnection; topo: Topology } {
  let server: TestNatsServer | undefined;
  let nc: NatsConnection | undefined;
  let topo: Topology | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    topo = await ensureTopology(nc, { deployment });
  }, 60_000);
  afterAll(async () => {
    await nc?.drain();
    await server?.stop();
  });
  return () => {
    if (!nc || !topo) throw new Error('nats is used before the tests run');
    return { nc, topo };
  };
}
