import { createHash } from 'node:crypto';
import type { ObjectStore } from '@nats-io/obj';
import { DrexError } from '../../protocol/errors.ts';
import { artifactObjects } from '../../protocol/nats-topology.ts';
import { readProvingKey, type ProvingKey } from '../../prover/index.ts';

/** A proving key that is not in the artifacts store, or whose bytes do not hash to its artifact id. */
export class ProvingKeyUnavailable extends DrexError {
  override name = 'ProvingKeyUnavailable';
  readonly code = 'PROVING_KEY_UNAVAILABLE';
}

/**
 * Proving keys by artifact hash (the sha256 of the .zkey), fetched once from the artifacts object store
 * and parsed once: the combiner completes proofs with their header points and recomputes halves with
 * their queries. A failed fetch is not cached (the next call tries again).
 */
export class ProvingKeyCache {
  private readonly cache = new Map<string, Promise<ProvingKey>>();

  constructor(private readonly store: ObjectStore) {}

  get(artifact: string): Promise<ProvingKey> {
    let p = this.cache.get(artifact);
    if (!p) {
      p = this.load(artifact);
      p.catch(() => this.cache.delete(artifact));
      this.cache.set(artifact, p);
    }
    return p;
  }

  private async load(artifact: string): Promise<ProvingKey> {
    const bytes = await this.store.getBlob(artifactObjects(artifact).zkey);
    if (!bytes) throw new ProvingKeyUnavailable(`proving key of artifact ${artifact} is not in the artifacts store`);
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (hash !== artifact) throw new ProvingKeyUnavailable(`proving key stored for artifact ${artifact} hashes to ${hash}`);
    return readProvingKey(bytes);
  }
}
