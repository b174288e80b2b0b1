import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ensureTopology, type TopologyOptions } from '../protocol/nats-topology.ts';
import { createLogger, type Logger } from '../swarm/log/logger.ts';
import { ResultIntake } from './intake/result-intake.ts';
import { VkeyCache } from './intake/vkey-cache.ts';

export interface AggregatorConfig {
  natsUrl: string;
  topology?: TopologyOptions;
  /** Verification keys at hand, by artifact hash (others are fetched from the artifacts store). */
  vkeys?: Record<string, string>;
  log?: Logger;
}

export interface RunningAggregator {
  intake: ResultIntake;
  registry: Registry;
  nc: NatsConnection;
  stop(): Promise<void>;
}

/** Starts the aggregator: result intake (signature, membership, expected signals, proof) and verdicts. */
export async function startAggregator(c: AggregatorConfig): Promise<RunningAggregator> {
  const log = c.log ?? createLogger('aggregator');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'drex_aggregator_' });
  const nc = await connect({ servers: c.natsUrl, name: 'drex-aggregator', maxReconnectAttempts: -1 });
  const topo = await ensureTopology(nc, c.topology);
  const preset = Object.fromEntries(Object.entries(c.vkeys ?? {}).map(([h, p]) => [h, JSON.parse(readFileSync(p, 'utf8')) as unknown]));
  const intake = new ResultIntake({ nc, jobs: topo.jobs, members: topo.members, vkeys: new VkeyCache(topo.artifacts, preset), log, registry });
  await intake.start();
  log.info('aggregator started');
  return {
    intake,
    registry,
    nc,
    stop: async () => {
      await intake.stop();
      await nc.drain().catch(() => {});
    },
  };
}
