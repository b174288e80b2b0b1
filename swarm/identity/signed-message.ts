import { canonicalBytes } from '../../protocol/canonical.ts';
import { verifySignature } from './ed25519.ts';

export { signAsProducer, signMessage } from './sign-message.ts';

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

/** Why a producer-signed message is not trusted. */
export type SignerProblem = 'UNSIGNED' | 'UNKNOWN_SIGNER' | 'BAD_SIGNATURE';

/**
 * Why `raw` (a message as received, before any schema) is not signed by one of `trusted` (public keys,
 * hex): no `signer`/`signature`, a signer not trusted, or a signature that does not verify; null when
 * it is. Never throws.
 */
export function signerProblem(raw: unknown, trusted: ReadonlySet<string>): SignerProblem | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'UNSIGNED';
  const m = raw as Record<string, unknown>;
  if (typeof m.signer !== 'string' || typeof m.signature !== 'string') return 'UNSIGNED';
  if (!trusted.has(m.signer)) return 'UNKNOWN_SIGNER';
  return isSignedBy(m.signer, m) ? null : 'BAD_SIGNATURE';
}
