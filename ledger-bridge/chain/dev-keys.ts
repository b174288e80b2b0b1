import { keccak256, toHex, type Hex } from 'viem';

/** Deterministic dev keys: keccak256("drex-swarm/dev-account/<i>"). Never use them outside a dev chain. */
export function devPrivateKey(i: number): Hex {
  return keccak256(toHex(`drex-swarm/dev-account/${i}`));
}

/** The dev admin account's key: keccak256("drex-swarm/dev-admin"). Never use it outside a dev chain. */
export function devAdminKey(): Hex {
  return keccak256(toHex('drex-swarm/dev-admin'));
}
