// @peculiar/x509 needs a Reflect metadata polyfill loaded before it (tsyringe), and a WebCrypto provider.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash } from 'node:crypto';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };

/** Lowercase hex SHA-256 of a certificate's DER form (its fingerprint). */
export function fingerprint(cert: x509.X509Certificate): string {
  return createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex');
}

/** True when the certificate says it is a CA (basicConstraints cA). */
export function isCa(cert: x509.X509Certificate): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}
