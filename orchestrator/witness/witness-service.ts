import type { CircuitSpec } from '../../circuits/build/compile.ts';
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { openTopology } from '../../protocol/open-topology.ts';
import { checkDeployment, DEFAULT_DEPLOYMENT } from '../../protocol/subjects.ts';
import { readProvingKey } from '../../prover/index.ts';
import { credsConnectOptions } from '../../swarm/nats-auth/connect.ts';
import { createLogger, type Logger } from '../../swarm/log/logger.ts';
import { BatchStore } from '../store/batch-store.ts';
import { SplitBook } from './split-book.ts';
import { WitnessGenerator } from './witness-generator.ts';
import { witnessQueue } from './witness-queue.ts';

export interface WitnessServiceConfig {
  natsUrl: string;
  /** NATS `.creds` file of the orchestrator role (the witness stage publishes jobs and stores shares). */
  natsCreds?: string;
  redisUrl: string;
  /** Redis key prefix; default `drex:<deployment>:` (the orchestrator's). */
  redisPrefix?: string;
  deployment?: string;
  /** The job gateway's seal public key (hex). */
  gatewaySealKey: string;
  /** Attempts prepared at once. Default 1. */
  concurrency?: number;
  /** How long one worker may hold a half. Default 120 s. */
  halfDeadlineMs?: number;
  /** The circuit (as the orchestrator's); default DEFAULT_CIRCUIT. */
  circuit?: CircuitSpec;
  log?: Logger;
}

/**
 * A witness stage replica (`drex-swarm witness`): works the orchestrator's witness queue beside it (and
 * beside any other replica), with the same circuit artifacts. Reads batch plans; writes only its own
 * records (seeds, half positions) and the jobs it publishes.
 */
export async function startWitnessService(c: WitnessServiceConfig): Promise<{ artifact: string; stop(): Promise<void> }> {
  const log = c.log ?? createLogger('witness');
  const deployment = checkDeployment(c.deployment ?? DEFAULT_DEPLOYMENT);
  const artifacts = await ensureArtifacts(c.circuit ? { circuit: c.circuit } : {});
  const redis = new Redis(c.redisUrl, { maxRetriesPerRequest: null });
  const store = new BatchStore(redis, c.redisPrefix ?? `drex:${deployment}:`);
  const nc = await connect({ servers: c.natsUrl, name: 'drex-witness', maxReconnectAttempts: -1, ...(c.natsCreds ? await credsConnectOptions(c.natsCreds) : {}) });
  const topo = await openTopology(nc, { deployment, onWait: (missing) => log.info('waiting for the topology (created by the orchestrator)', { missing }) });
  const artifact = artifacts.manifest.zkeyHash;
  const book = new SplitBook(redis, store.prefix);
  const generator = new WitnessGenerator({
    nc,
    names: topo.names,
    store,
    book,
    splits: topo.splits,
    shares: topo.shares,
    gatewaySealKey: c.gatewaySealKey,
    artifact,
    pk: readProvingKey(readFileSync(artifacts.zkey)),
    wasm: readFileSync(artifacts.wasm),
    halfDeadlineMs: c.halfDeadlineMs ?? 120_000,
    log,
  });
  const queue = witnessQueue({ redis, prefix: store.prefix, log, generator, concurrency: c.concurrency ?? 1, onRefused: (t) => book.recordRefused(t.batchId, t.index, t.attempt) });
  log.info('witness stage started', { deployment, artifact, concurrency: c.concurrency ?? 1 });
  return {
    artifact,
    async stop() {
      await queue.close();
      await nc.drain().catch(() => {});
      redis.disconnect();
    },
  };
}
