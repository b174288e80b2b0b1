import { readProvingKey, type ProvingKey } from '../../prover/proving-key.ts';
import type { ProverArtifacts } from '../prover/groth16-prover.ts';
import type { ArtifactCache } from './artifact-cache.ts';
import { ArtifactError } from './errors.ts';

/** A verified artifact set with its proving key read (the MSM bases are the key's sections). */
export interface KeyedArtifacts {
  artifacts: ProverArtifacts;
  pk: ProvingKey;
}

/** Proving keys read once per artifact hash, over the artifact cache's sets, and kept in memory beside them. */
export interface ProvingKeyCache {
  /** The set of `zkeyHash` and its read proving key; concurrent calls share one read; a failure is retried on the next call. */
  get(zkeyHash: string): Promise<KeyedArtifacts>;
}

/** A cache of read proving keys over `artifacts` (the key's sections are views into the cached zkey, not copies). */
export function createProvingKeyCache(artifacts: ArtifactCache): ProvingKeyCache {
  const keys = new Map<string, Promise<KeyedArtifacts>>();
  const read = async (zkeyHash: string): Promise<KeyedArtifacts> => {
    const set = await artifacts.get(zkeyHash);
    try {
      return { artifacts: set, pk: await readProvingKey(set.zkey) };
    } catch (err) {
      throw new ArtifactError('ARTIFACT_INVALID', `proving key ${zkeyHash} cannot be read: ${(err as Error).message}`);
    }
  };
  return {
    get(zkeyHash) {
      let p = keys.get(zkeyHash);
      if (!p) {
        p = read(zkeyHash).catch((err: unknown) => {
          keys.delete(zkeyHash);
          throw err;
        });
        keys.set(zkeyHash, p);
      }
      return p;
    },
  };
}
