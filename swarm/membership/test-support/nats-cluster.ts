/** Two nats-servers joined by cluster routes, for partition tests: one of them restarts with or without its route. */
import { freePort, startNatsServer, type TestNatsServer } from '../../../test/support/nats-server.ts';

/** The config of a cluster member listening for routes on `clusterPort` and (when `routeTo`) routing to another. */
function clusterConfig(name: string, clusterPort: number, routeTo?: number): string {
  const routes = routeTo === undefined ? '' : `, routes: ["nats-route://127.0.0.1:${routeTo}"]`;
  return `server_name: ${name}\ncluster { name: drex-gossip, listen: "127.0.0.1:${clusterPort}"${routes} }`;
}

export interface TwoServerCluster {
  a: TestNatsServer;
  b: TestNatsServer;
  /** Restarts b on its client port without a route to a: clients of b stay connected to b only. */
  split(): Promise<void>;
  /** Restarts b on its client port with its route to a again. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts servers a and b on free loopback ports, routed to each other. */
export async function startTwoServerCluster(): Promise<TwoServerCluster> {
  const [routeA, routeB] = [await freePort(), await freePort()];
  const a = await startNatsServer({ authConfig: clusterConfig('a', routeA, routeB) });
  let b = await startNatsServer({ authConfig: clusterConfig('b', routeB, routeA) });
  const restartB = async (routed: boolean) => {
    const port = b.port;
    await b.stop();
    b = await startNatsServer({ port, authConfig: routed ? clusterConfig('b', routeB, routeA) : '' });
  };
  return {
    a,
    get b() {
      return b;
    },
    split: () => restartB(false),
    heal: () => restartB(true),
    stop: async () => {
      await b.stop();
      await a.stop();
    },
  };
}
