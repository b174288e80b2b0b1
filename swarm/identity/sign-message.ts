/** Signing messages with an identity (no verification here: the module runs in browsers too). */
import { canonicalBytes } from '../../protocol/canonical.ts';
import type { Identity } from './ed25519.ts';

/** `unsigned` with `signature`: `identity`'s Ed25519 signature over the canonical bytes of every field of `unsigned`. */
export function signMessage<T extends object>(identity: Identity, unsigned: T): T & { signature: string } {
  return { ...unsigned, signature: identity.sign(canonicalBytes(unsigned)) };
}

/** `unsigned` with `signer` (the identity's id) and its signature over every other field, `signer` included. */
export function signAsProducer<T extends object>(identity: Identity, unsigned: T): T & { signer: string; signature: string } {
  return signMessage(identity, { ...unsigned, signer: identity.id });
}
