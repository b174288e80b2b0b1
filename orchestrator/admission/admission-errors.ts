import { DrexError } from '../../protocol/errors.ts';

/** Why a worker was not admitted: each a code the worker logs and an HTTP status. */
export type AdmissionRefusal =
  | 'ADMISSION_REQUEST_INVALID'
  | 'ADMISSION_CHALLENGE_UNKNOWN'
  | 'ADMISSION_SIGNATURE_INVALID'
  | 'ADMISSION_NOT_ALLOWED'
  | 'ADMISSION_REVOKED'
  | 'ADMISSION_QUOTA_EXCEEDED';

/** A refused admission. */
export class AdmissionRefusedError extends DrexError {
  override name = 'AdmissionRefusedError';
  readonly code: AdmissionRefusal;
  constructor(code: AdmissionRefusal, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
  /** 400 for a malformed request, 401 for a failed proof of possession, 403 for a policy refusal. */
  get httpStatus(): 400 | 401 | 403 {
    if (this.code === 'ADMISSION_REQUEST_INVALID') return 400;
    if (this.code === 'ADMISSION_CHALLENGE_UNKNOWN' || this.code === 'ADMISSION_SIGNATURE_INVALID') return 401;
    return 403;
  }
}
