import { canonicalBytes } from '../../protocol/canonical.ts';
import { verifySignature, type Identity } from './ed25519.ts';

/** `unsigned` with `signature`: `identity`'s Ed25519 signature over the canonical bytes of every field of `unsigned`. */
export function signMessage<T extends object>(identity: Identity, unsigned: T): T & { signature: string } {
  return { ...unsigned, signature: identity.sign(canonicalBytes(unsigned)) };
}

/**
 * True when `message.signature` is `publicKeyHex`'s signature over the canonical bytes of every other
 * field of `message` (as received: check before a schema strips or defaults anything). Never throws.
 */
export function isSignedBy(publicKeyHex: string, message: Record<string, unknown>): boolean {
  const { signature, ...unsigned } = message;
  if (typeof signature !== 'string') return false;
  try {
    return verifySignature(publicKeyHex, canonicalBytes(unsigned), signature);
  } catch {
    return false;
  }
}
