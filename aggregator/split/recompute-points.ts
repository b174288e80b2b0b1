import type { ObjectStore } from '@nats-io/obj';
import { DrexError } from '../../protocol/errors.ts';
import { gatewayShareObject } from '../../protocol/messages/half.ts';
import { decodeHalfScalars, ShareCodecError, type HalfScalars } from '../../prover/share-codec.ts';
import { wasmMsmBackend, type G1Affine, type G2Affine, type MsmBackend, type MsmPoints, type ProvingKey } from '../../prover/index.ts';
import { decodeSealed, openSealed, SealedBoxFormatError, SealOpenError } from '../../swarm/sealing/hpke-seal.ts';
import type { SealKeyPair } from '../../swarm/sealing/seal-keys.ts';

/** A half whose points cannot be recomputed: its share is gone, does not open, or is not a half. */
export class HalfNotRecomputable extends DrexError {
  override name = 'HalfNotRecomputable';
  readonly code = 'HALF_NOT_RECOMPUTABLE';
}

/** One of the five MSM points of a half. */
export type MsmName = keyof MsmPoints;

/** The order points are recomputed in when looking for a wrong half: the G1 ones first, the costlier G2 one last. */
export const RECOMPUTE_ORDER: readonly MsmName[] = ['A', 'B1', 'C', 'H', 'B2'];

/**
 * The scalars of half job `halfJobId` as the witness generator stored them: `share/<half job id>` in
 * the shares store, sealed to the job gateway's key and bound to the half job id, opened with `sealKey`
 * and checked against `pk`'s sizes. The caller wipes them when done. Throws `HalfNotRecomputable` when
 * the share is unusable; a failure to reach the store propagates.
 */
export async function openHalfShare(o: { shares: ObjectStore; sealKey: SealKeyPair; pk: ProvingKey }, halfJobId: string): Promise<HalfScalars> {
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
    return decodeHalfScalars(plain, o.pk);
  } catch (err) {
    plain.fill(0);
    if (err instanceof ShareCodecError) throw new HalfNotRecomputable(`the share of ${halfJobId} is not a half of this proving key: ${err.message}`, { cause: err });
    throw err;
  }
}

const SCALAR_BYTES = 32;

/**
 * Point `which` of the MSM stage over `scalars`, computed exactly as prover/msm-stage.ts computes it
 * (same query, same scalars, same backend), so that one point can be checked without the other four.
 * The MSMs run on the prover's thread pool: the event loop stays free meanwhile.
 */
export async function recomputePoint(pk: ProvingKey, scalars: HalfScalars, which: MsmName, backend: MsmBackend = wasmMsmBackend): Promise<G1Affine | G2Affine> {
  const s = pk.sections;
  const { witness, quotient } = scalars;
  switch (which) {
    case 'A':
      return backend.g1MultiExp(s.a, witness);
    case 'B1':
      return backend.g1MultiExp(s.b1, witness);
    case 'B2':
      return backend.g2MultiExp(s.b2, witness);
    case 'C':
      return backend.g1MultiExp(s.c, witness.subarray((pk.nPublic + 1) * SCALAR_BYTES));
    case 'H':
      return backend.g1MultiExp(s.h, quotient);
  }
}

/** True when two affine points (G1 or G2, `null` the identity) are the same point. */
export function samePoint(a: G1Affine | G2Affine, b: G1Affine | G2Affine): boolean {
  const text = (p: G1Affine | G2Affine) => JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v));
  return text(a) === text(b);
}
