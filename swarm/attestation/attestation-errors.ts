import { DrexError } from '../../protocol/errors.ts';

/** Raised when bytes are not an attestation document at all (not CBOR, not a COSE_Sign1, a payload of the wrong shape). */
export class AttestationFormatError extends DrexError {
  override name = 'AttestationFormatError';
  readonly code = 'ATTESTATION_MALFORMED';
}

/** Raised when an attestation policy is malformed (a PCR value that is not hex of the right length, a root that is not a certificate). */
export class AttestationPolicyError extends DrexError {
  override name = 'AttestationPolicyError';
  readonly code = 'ATTESTATION_POLICY_INVALID';
}
