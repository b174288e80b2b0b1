import { jetstream, jetstreamManager, type Consumer, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { TopologyUnavailableError } from './errors.ts';

/** The JetStream handles a worker uses. */
export interface WorkerTopology {
  names: NatsNames;
  js: JetStreamClient;
  consumer: Consumer;
  members: KV;
  artifacts: ObjectStore;
  /** The `provers` consumer's ack wait. */
  ackWaitMs: number;
}

export interface WaitTopologyOptions {
  /** The deployment's NATS names. */
  names: NatsNames;
  log: Logger;
  /** Give up after this long (default: wait until aborted). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits until the jobs stream with its `provers` consumer, the members bucket and the artifacts bucket
 * exist (created by `ensureTopology`, which a worker does not call so that it never rewrites the
 * consumer's ack wait or delivery limit), then binds to them.
 */
export async function waitForTopology(nc: NatsConnection, o: WaitTopologyOptions): Promise<WorkerTopology> {
  const NATS = o.names;
  const jsm = await jetstreamManager(nc);
  const started = Date.now();
  let logged = false;
  let ackWaitNanos: number;
  for (;;) {
    try {
      const ci = await jsm.consumers.info(NATS.jobsStream, NATS.proversConsumer);
      await jsm.streams.info(`KV_${NATS.membersBucket}`);
      await jsm.streams.info(`OBJ_${NATS.artifactsBucket}`);
      ackWaitNanos = ci.config.ack_wait ?? 30_000_000_000;
      break;
    } catch (err) {
      if (o.signal?.aborted) throw new TopologyUnavailableError('stopped while waiting for the JetStream topology');
      if (o.timeoutMs !== undefined && Date.now() - started > o.timeoutMs) {
        throw new TopologyUnavailableError(
          `stream ${NATS.jobsStream} with consumer ${NATS.proversConsumer} and buckets ${NATS.membersBucket}, ${NATS.artifactsBucket} ` +
            `do not exist after ${o.timeoutMs} ms (${(err as Error).message}); start the orchestrator, which creates them`,
        );
      }
      if (!logged) o.log.info('waiting for the JetStream topology (created by the orchestrator)', { missing: (err as Error).message });
      logged = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const js = jetstream(nc);
  return {
    names: NATS,
    js,
    consumer: await js.consumers.get(NATS.jobsStream, NATS.proversConsumer),
    members: await new Kvm(js).open(NATS.membersBucket),
    artifacts: await new Objm(js).open(NATS.artifactsBucket),
    ackWaitMs: Math.round(ackWaitNanos / 1e6),
  };
}
