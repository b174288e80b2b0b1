import { buildEddsa, buildPoseidon, type Eddsa, type Poseidon } from 'circomlibjs';

import { SCALAR_ORDER } from '../../protocol/bn254.ts';

/** The BN254 scalar field order: every circuit signal lives in [0, FIELD_ORDER). */
export const FIELD_ORDER = SCALAR_ORDER;

export interface Crypto {
  /** Poseidon hash of field elements, as a bigint. */
  hash(inputs: readonly bigint[]): bigint;
  eddsa: Eddsa;
  poseidon: Poseidon;
}

let cached: Promise<Crypto> | undefined;

/** Loads circomlibjs's Poseidon and EdDSA-Poseidon once per process (they build WASM on first use). */
export function loadCrypto(): Promise<Crypto> {
  cached ??= (async () => {
    const [poseidon, eddsa] = await Promise.all([buildPoseidon(), buildEddsa()]);
    return {
      poseidon,
      eddsa,
      hash: (inputs) => poseidon.F.toObject(poseidon(inputs as bigint[])),
    };
  })();
  return cached;
}

/** True when `x` is a canonical field element. */
export function isField(x: bigint): boolean {
  return x >= 0n && x < FIELD_ORDER;
}
