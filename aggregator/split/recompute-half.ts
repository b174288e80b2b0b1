import type { ObjectStore } from '@nats-io/obj';
import { DrexError } from '../../protocol/errors.ts';
import { gatewayShareObject } from '../../protocol/messages/half.ts';
import { decodeHalfScalars, ShareCodecError } from '../../prover/share-codec.ts';
import { msmStage, type MsmPoints, type ProvingKey } from '../../prover/index.ts';
import { decodeSealed, openSealed, SealedBoxFormatError, SealOpenError } from '../../swarm/sealing/hpke-seal.ts';
import type { SealKeyPair } from '../../swarm/sealing/seal-keys.ts';

/** A half whose points cannot be recomputed: its share is gone, does not open, or is not a half. */
export class HalfNotRecomputable extends DrexError {
  override name = 'HalfNotRecomputable';
  readonly code = 'HALF_NOT_RECOMPUTABLE';
}

/**
 * The points half job `halfJobId` should have answered, computed here: its share as the witness
 * generator stored it (`share/<half job id>` in the shares store, sealed to the job gateway's key and
 * bound to the half job id), opened with `sealKey`, and the five MSMs over it with `pk`. The share's
 * plaintext is wiped afterwards. Takes as long as a worker's MSM stage (seconds); the MSMs run on the
 * prover's thread pool, so the event loop stays free meanwhile. Throws `HalfNotRecomputable` when the
 * share is unusable; a failure to reach the store propagates.
 */
export async function recomputeHalf(o: { shares: ObjectStore; sealKey: SealKeyPair; pk: ProvingKey }, halfJobId: string): Promise<MsmPoints> {
  const sealed = await o.shares.getBlob(gatewayShareObject(halfJobId));
  if (!sealed) throw new HalfNotRecomputable(`the share of ${halfJobId} is gone from the shares store`);
  let plain: Uint8Array;
  try {
    plain = await openSealed(o.sealKey, decodeSealed(sealed), new TextEncoder().encode(halfJobId));
  } catch (err) {
    if (err instanceof SealOpenError || err instanceof SealedBoxFormatError) throw new HalfNotRecomputable(`the share of ${halfJobId} does not open with the gateway's seal key: ${err.message}`, { cause: err });
    throw err;
  }
  try {
    const scalars = decodeHalfScalars(plain, o.pk);
    return await msmStage(o.pk, scalars);
  } catch (err) {
    if (err instanceof ShareCodecError) throw new HalfNotRecomputable(`the share of ${halfJobId} is not a half of this proving key: ${err.message}`, { cause: err });
    throw err;
  } finally {
    plain.fill(0);
  }
}
