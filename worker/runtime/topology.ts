import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { TopologyUnavailableError } from './errors.ts';

/** The JetStream handles a worker uses: publishing results, reading artifacts and sealed shares. */
export interface WorkerTopology {
  names: NatsNames;
  js: JetStreamClient;
  artifacts: ObjectStore;
  shares: ObjectStore;
}

/**
 * Binds to the artifacts and shares buckets without any JetStream API call (no account, stream or
 * consumer info: a worker's credentials do not allow them). Whether they exist shows at first use.
 */
export async function bindTopology(nc: NatsConnection, names: NatsNames): Promise<WorkerTopology> {
  const js = jetstream(nc, { checkAPI: false });
  return {
    names,
    js,
    artifacts: await new Objm(js).open(names.artifactsBucket, false),
    shares: await new Objm(js).open(names.sharesBucket, false),
  };
}

export interface UntilAvailableOptions {
  /** What is waited for, for the log and the error. */
  what: string;
  log: Logger;
  /** Give up after this long (default: wait until aborted). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, once a second (the topology is created by the orchestrator and the
 * aggregator, which may start after the worker); throws TopologyUnavailableError at the timeout or abort.
 */
export async function untilAvailable<T>(attempt: () => Promise<T>, o: UntilAvailableOptions): Promise<T> {
  const started = Date.now();
  let logged = false;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (o.signal?.aborted) throw new TopologyUnavailableError(`stopped while waiting for ${o.what}`);
      if (o.timeoutMs !== undefined && Date.now() - started > o.timeoutMs) {
        throw new TopologyUnavailableError(`${o.what} not available after ${o.timeoutMs} ms (${(err as Error).message}); start the orchestrator and the aggregator, which create it`);
      }
      if (!logged) o.log.info(`waiting for ${o.what}`, { missing: (err as Error).message });
      logged = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
