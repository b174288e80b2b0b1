import { readFileSync } from 'node:fs';
import type { ObjectStore } from '@nats-io/obj';
import type { Artifacts } from '../../circuits/ceremony/setup.ts';
import { artifactObjects, CURRENT_ARTIFACT_OBJECT } from '../../protocol/nats-topology.ts';

/**
 * Puts the circuit artifacts into the JetStream object store under their proving-key hash, unless they
 * are there already, so that workers fetch them once by content hash; then names them current.
 */
export async function publishArtifacts(store: ObjectStore, a: Artifacts): Promise<string> {
  const hash = a.manifest.zkeyHash;
  const names = artifactObjects(hash);
  const files: [string, string | Uint8Array][] = [
    [names.zkey, a.zkey],
    [names.wasm, a.wasm],
    [names.vkey, a.vkey],
    [names.manifest, Buffer.from(JSON.stringify(a.manifest))],
  ];
  // The manifest goes last: its presence means the set is complete.
  for (const [name, src] of files) {
    const info = await store.info(name).catch(() => null);
    if (info && !info.deleted) continue;
    await store.putBlob({ name }, typeof src === 'string' ? readFileSync(src) : src);
  }
  await store.putBlob({ name: CURRENT_ARTIFACT_OBJECT }, Buffer.from(JSON.stringify({ zkeyHash: hash })));
  return hash;
}
