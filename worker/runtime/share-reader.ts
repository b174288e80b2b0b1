import type { ObjectStore } from '@nats-io/obj';
import type { SealedObjectRef } from '../../protocol/messages/fields.ts';
import { decodeHalfScalars, type HalfScalars } from '../../prover/share-codec.ts';
import { decodeSealed, openSealed, type SealedBox } from '../../swarm/sealing/hpke-seal.ts';
import type { SealKeyPair } from '../../swarm/sealing/seal-keys.ts';
import { ShareError } from './errors.ts';

/** The scalar counts a half must have: the proving key's. */
export interface HalfCounts {
  nVars: number;
  domainSize: number;
}

/** The additional data a share is sealed with: the UTF-8 bytes of the lease it was granted under. */
export function shareAad(leaseId: string): Uint8Array {
  return new TextEncoder().encode(leaseId);
}

/**
 * Reads the sealed share `ref` from the shares object store, opens it with `sealKey` (bound to
 * `leaseId`) and decodes the half's scalars against the proving key's counts. Every failure is a
 * ShareError naming what went wrong, never the share's content; the plaintext of a share that does not
 * decode is wiped. The caller owns the returned scalars (views into one buffer) and wipes them after use.
 */
export async function openShare(store: ObjectStore, ref: SealedObjectRef, sealKey: SealKeyPair, leaseId: string, counts: HalfCounts): Promise<HalfScalars> {
  let bytes: Uint8Array | null;
  try {
    bytes = await store.getBlob(ref.object);
  } catch (err) {
    throw new ShareError('SHARE_UNREADABLE', `share ${ref.object} could not be read from the shares store: ${(err as Error).message}`, { cause: err });
  }
  if (!bytes) throw new ShareError('SHARE_MISSING', `share ${ref.object} is not in the shares store`);
  if (bytes.byteLength !== ref.bytes) throw new ShareError('SHARE_SIZE_MISMATCH', `share ${ref.object} holds ${bytes.byteLength} bytes; the grant says ${ref.bytes}`);
  let box: SealedBox;
  try {
    box = decodeSealed(bytes);
  } catch (err) {
    throw new ShareError('SHARE_MALFORMED', `share ${ref.object} is not a sealed box: ${(err as Error).message}`, { cause: err });
  }
  let plaintext: Uint8Array;
  try {
    plaintext = await openSealed(sealKey, box, shareAad(leaseId));
  } catch (err) {
    throw new ShareError('SHARE_NOT_OPENED', `share ${ref.object} does not open with this worker's seal key for lease ${leaseId}`, { cause: err });
  }
  try {
    return decodeHalfScalars(plaintext, counts);
  } catch (err) {
    plaintext.fill(0);
    throw new ShareError('SHARE_MALFORMED', `share ${ref.object} is not a half of this proving key: ${(err as Error).message}`, { cause: err });
  }
}

/** Overwrites a half's scalars with zeros once they are no longer needed. */
export function wipeHalfScalars(h: HalfScalars): void {
  h.witness.fill(0);
  h.quotient.fill(0);
}
