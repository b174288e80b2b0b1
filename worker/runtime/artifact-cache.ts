import type { ObjectStore } from '@nats-io/obj';
import { artifactObjects } from '../../protocol/nats-topology.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { ProverArtifacts } from '../prover/groth16-prover.ts';
import { ArtifactError } from './errors.ts';

/** Fetches artifact sets by proving-key hash, once each, and keeps them in memory. */
export interface ArtifactCache {
  /** The verified artifact set of `zkeyHash`; concurrent calls share one fetch; a failed fetch is retried on the next call. */
  get(zkeyHash: string): Promise<ProverArtifacts>;
  /** Hashes held in memory. */
  held(): string[];
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Buffer.from(digest).toString('hex');
}

async function fetchObject(store: ObjectStore, name: string): Promise<Uint8Array> {
  let bytes: Uint8Array | null;
  try {
    bytes = await store.getBlob(name);
  } catch (err) {
    throw new ArtifactError('ARTIFACT_INVALID', `object ${name} could not be read from the artifact store: ${(err as Error).message}`);
  }
  if (!bytes) throw new ArtifactError('ARTIFACT_MISSING', `object ${name} is not in the artifact store; publish the artifact set first`);
  return bytes;
}

/**
 * Downloads and checks one artifact set: sha256(zkey) must equal the hash the job names, and sha256(wasm)
 * must equal the manifest's `wasmHash` (the manifest's own `zkeyHash` must name the same key).
 */
export async function fetchArtifactSet(store: ObjectStore, zkeyHash: string): Promise<ProverArtifacts> {
  const names = artifactObjects(zkeyHash);
  const [zkey, wasm, manifestBytes] = await Promise.all([
    fetchObject(store, names.zkey),
    fetchObject(store, names.wasm),
    fetchObject(store, names.manifest),
  ]);
  let manifest: { zkeyHash?: unknown; wasmHash?: unknown };
  try {
    manifest = JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as typeof manifest;
  } catch {
    throw new ArtifactError('ARTIFACT_INVALID', `manifest ${names.manifest} is not JSON`);
  }
  if (manifest.zkeyHash !== zkeyHash) {
    throw new ArtifactError('ARTIFACT_INVALID', `manifest ${names.manifest} names proving key ${String(manifest.zkeyHash)}, not ${zkeyHash}`);
  }
  const zkeyActual = await sha256Hex(zkey);
  if (zkeyActual !== zkeyHash) {
    throw new ArtifactError('ARTIFACT_INVALID', `proving key ${names.zkey} has sha256 ${zkeyActual}, expected ${zkeyHash}: refusing it`);
  }
  const wasmActual = await sha256Hex(wasm);
  if (typeof manifest.wasmHash !== 'string' || wasmActual !== manifest.wasmHash) {
    throw new ArtifactError('ARTIFACT_INVALID', `witness calculator ${names.wasm} has sha256 ${wasmActual}, the manifest says ${String(manifest.wasmHash)}: refusing it`);
  }
  return { zkey, wasm };
}

/** An in-memory cache of verified artifact sets over the `drex_artifacts` object store. */
export function createArtifactCache(store: ObjectStore, log: Logger): ArtifactCache {
  const sets = new Map<string, Promise<ProverArtifacts>>();
  return {
    get(zkeyHash) {
      let p = sets.get(zkeyHash);
      if (!p) {
        const started = Date.now();
        p = fetchArtifactSet(store, zkeyHash).then(
          (a) => {
            log.info('artifact set fetched and verified', { artifact: zkeyHash, zkeyBytes: a.zkey.length, wasmBytes: a.wasm.length, ms: Date.now() - started });
            return a;
          },
          (err: unknown) => {
            sets.delete(zkeyHash);
            throw err;
          },
        );
        sets.set(zkeyHash, p);
      }
      return p;
    },
    held: () => [...sets.keys()],
  };
}
