import { DrexError } from '../../protocol/errors.ts';

/** HTTP statuses the regulator API answers errors with. */
export type ApiStatus = 400 | 401 | 404 | 409 | 413 | 429 | 503;

/**
 * An error of the regulator API: a code, an HTTP status and a message a person can act on; answered as
 * `{"error":{"code","message",...details}}`.
 */
export abstract class RegulatorApiError extends DrexError {
  abstract readonly status: ApiStatus;
  /** Extra fields of the JSON error (e.g. the parameter at fault). */
  details(): Record<string, string | number> {
    return {};
  }
}

/** No or wrong credentials (bearer token or portal cookie). */
export class UnauthorizedError extends RegulatorApiError {
  override name = 'UnauthorizedError';
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
}

/** A request parameter that is malformed or out of range: names it and says why. */
abstract class ParameterError extends RegulatorApiError {
  readonly status = 400;
  constructor(
    readonly parameter: string,
    readonly reason: string,
    where: 'query' | 'path',
  ) {
    super(`${where} parameter ${parameter}: ${reason}`);
  }
  override details() {
    return { parameter: this.parameter, reason: this.reason };
  }
}

/** A query parameter that is malformed or out of range. */
export class BadQueryError extends ParameterError {
  override name = 'BadQueryError';
  readonly code = 'BAD_QUERY';
  constructor(parameter: string, reason: string) {
    super(parameter, reason, 'query');
  }
}

/** A path parameter that is malformed (e.g. a batch id that is not 0x and 64 hex digits). */
export class BadParameterError extends ParameterError {
  override name = 'BadParameterError';
  readonly code = 'BAD_PARAMETER';
  constructor(parameter: string, reason: string) {
    super(parameter, reason, 'path');
  }
}

/** No batch under the id. */
export class BatchNotFoundError extends RegulatorApiError {
  override name = 'BatchNotFoundError';
  readonly code = 'BATCH_NOT_FOUND';
  readonly status = 404;
  constructor(readonly batchId: string) {
    super(`no batch ${batchId}`);
  }
}

/** Re-verification asked for a batch that is not settled (yet). */
export class BatchNotSettledError extends RegulatorApiError {
  override name = 'BatchNotSettledError';
  readonly code = 'NOT_SETTLED';
  readonly status = 409;
  constructor(
    readonly batchId: string,
    readonly state: string,
  ) {
    super(`batch ${batchId} is ${state}, not SETTLED: there is nothing on the chain to re-verify yet`);
  }
  override details() {
    return { state: this.state };
  }
}

/** Re-verification needs a ledger, and this orchestrator settles on none. */
export class NoLedgerError extends RegulatorApiError {
  override name = 'NoLedgerError';
  readonly code = 'NO_LEDGER';
  readonly status = 409;
  constructor() {
    super('this orchestrator settles on no ledger: batches end VERIFIED and there is no chain record to re-verify');
  }
}

/** A re-verification is running: they run one at a time. */
export class ReverifyBusyError extends RegulatorApiError {
  override name = 'ReverifyBusyError';
  readonly code = 'REVERIFY_BUSY';
  readonly status = 429;
  constructor(readonly retryAfterS: number) {
    super(`another re-verification is running; try again in ${retryAfterS} s`);
  }
}

/** The chain could not be read for a re-verification. */
export class ChainReadError extends RegulatorApiError {
  override name = 'ChainReadError';
  readonly code = 'CHAIN_UNAVAILABLE';
  readonly status = 503;
  override readonly retryable = true;
}

/** A body given to verify that is not an attestation document (not CBOR, not a COSE_Sign1, a payload of the wrong shape). */
export class AttestationMalformedError extends RegulatorApiError {
  override name = 'AttestationMalformedError';
  readonly code = 'ATTESTATION_MALFORMED';
  readonly status = 400;
}

/** A verify request whose JSON, fields or content type are wrong: names the field and says why. */
export class BadAttestationRequestError extends RegulatorApiError {
  override name = 'BadAttestationRequestError';
  readonly code = 'BAD_ATTESTATION_REQUEST';
  readonly status = 400;
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
  override details() {
    return { field: this.field, reason: this.reason };
  }
}

/** A document larger than any attestation document. */
export class AttestationTooLargeError extends RegulatorApiError {
  override name = 'AttestationTooLargeError';
  readonly code = 'ATTESTATION_TOO_LARGE';
  readonly status = 413;
}
