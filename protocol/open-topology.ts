import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { DrexError } from './errors.ts';
import type { Topology } from './nats-topology.ts';
import { DEFAULT_DEPLOYMENT, natsNames } from './subjects.ts';

/** The topology did not appear in time. */
export class TopologyMissingError extends DrexError {
  override name = 'TopologyMissingError';
  readonly code = 'TOPOLOGY_MISSING';
}

export interface OpenTopologyOptions {
  deployment?: string;
  /** Give up after this long (default 120 s). */
  timeoutMs?: number;
  /** Called once when it has to wait. */
  onWait?: (missing: string) => void;
}

/**
 * Binds to a deployment's streams and buckets without creating or changing anything (only the
 * orchestrator, whose NATS role may manage streams, creates them with ensureTopology): waits until they
 * exist. For processes whose credentials allow only reads of the topology, such as the aggregator.
 */
export async function openTopology(nc: NatsConnection, o: OpenTopologyOptions = {}): Promise<Topology> {
  const names = natsNames(o.deployment ?? DEFAULT_DEPLOYMENT);
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  let waited = false;
  for (;;) {
    try {
      for (const s of [names.jobsStream, names.resultsStream, names.verdictsStream, names.readyStream, names.settledStream]) await jsm.streams.info(s);
      const kvm = new Kvm(nc);
      return {
        names,
        jsm,
        jobs: await kvm.open(names.jobsBucket),
        leases: await kvm.open(names.leasesBucket),
        splits: await kvm.open(names.splitsBucket),
        halves: await kvm.open(names.halvesBucket),
        shares: await new Objm(nc).open(names.sharesBucket),
        artifacts: await new Objm(nc).open(names.artifactsBucket),
      };
    } catch (err) {
      if (Date.now() > deadline) throw new TopologyMissingError(`the ${names.deployment} streams and buckets do not exist (${(err as Error).message}); start the orchestrator, which creates them`, { cause: err });
      if (!waited) o.onWait?.((err as Error).message);
      waited = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
