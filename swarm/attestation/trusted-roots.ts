import { AttestationPolicyError } from './attestation-errors.ts';
import { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from './aws-nitro-root.ts';
import { fingerprint, isCa, x509 } from './x509.ts';

/** A certificate an attestation chain may end in, with a name for reports. */
export interface TrustedRoot {
  readonly name: string;
  readonly certificate: x509.X509Certificate;
  /** SHA-256 of its DER form, lowercase hex. */
  readonly sha256: string;
}

/** A root from PEM (or DER); refused unless it is a self-signed CA certificate, and unless it has `pinned` as its fingerprint when one is given. */
export async function trustedRoot(name: string, cert: string | Uint8Array, pinned?: string): Promise<TrustedRoot> {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(typeof cert === 'string' ? cert : new Uint8Array(cert));
  } catch (err) {
    throw new AttestationPolicyError(`the trusted root "${name}" is not an X.509 certificate (PEM or DER)`, { cause: err });
  }
  const sha256 = fingerprint(certificate);
  if (pinned !== undefined && sha256 !== pinned) throw new AttestationPolicyError(`the trusted root "${name}" has fingerprint ${sha256}, not the pinned ${pinned}`);
  if (!isCa(certificate) || !(await certificate.isSelfSigned())) throw new AttestationPolicyError(`the trusted root "${name}" is not a self-signed CA certificate`);
  return { name, certificate, sha256 };
}

let aws: Promise<TrustedRoot> | undefined;

/** The AWS Nitro Enclaves root G1, checked against its pinned fingerprint. */
export function awsNitroRoot(): Promise<TrustedRoot> {
  aws ??= trustedRoot('AWS Nitro Enclaves root G1', AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256);
  return aws;
}
