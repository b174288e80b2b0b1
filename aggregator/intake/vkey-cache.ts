import type { ObjectStore } from '@nats-io/obj';
import { createHash } from 'node:crypto';
import { artifactObjects } from '../../protocol/nats-topology.ts';
import { prepareVerificationKey, type PreparedVerificationKey } from '../verification-key.ts';

/** Verification keys by artifact (proving-key) hash, fetched once from the artifacts object store. */
export class VkeyCache {
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly preparedCache = new Map<string, Promise<PreparedVerificationKey>>();

  constructor(
    private readonly store: ObjectStore,
    /** Keys already at hand (e.g. from the local artifact cache). */
    preset: Record<string, unknown> = {},
  ) {
    for (const [k, v] of Object.entries(preset)) this.cache.set(k, Promise.resolve(v));
  }

  /** The verification key of `artifact`, parsed and checked once for the aggregator's verifier. */
  prepared(artifact: string): Promise<PreparedVerificationKey> {
    let p = this.preparedCache.get(artifact);
    if (!p) {
      p = this.get(artifact).then((v) => prepareVerificationKey(v));
      p.catch(() => this.preparedCache.delete(artifact));
      this.preparedCache.set(artifact, p);
    }
    return p;
  }

  get(artifact: string): Promise<unknown> {
    let p = this.cache.get(artifact);
    if (!p) {
      p = (async () => {
        const names = artifactObjects(artifact);
        const bytes = await this.store.getBlob(names.vkey);
        if (!bytes) throw new Error(`verification key of artifact ${artifact} is not in the artifacts store`);
        const manifest = await this.store.getBlob(names.manifest);
        if (manifest) {
          const m = JSON.parse(Buffer.from(manifest).toString('utf8')) as { vkeyHash?: string };
          const h = createHash('sha256').update(bytes).digest('hex');
          if (m.vkeyHash && m.vkeyHash !== h) throw new Error(`verification key of artifact ${artifact} does not match its manifest`);
        }
        return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
      })();
      p.catch(() => this.cache.delete(artifact));
      this.cache.set(artifact, p);
    }
    return p;
  }
}
