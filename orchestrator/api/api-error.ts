import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import type { ErrorCode } from '../../protocol/error-codes.ts';
import { DrexError } from '../../protocol/errors.ts';

/**
 * An error answered to a bank: a gRPC status, a protocol error code, the offending field (when there
 * is one) and a message naming it. Sent with trailers `drex-error-code` and `drex-field`.
 */
export class ApiError extends DrexError {
  override name = 'ApiError';
  constructor(
    readonly status: GrpcStatus,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }

  toServiceError(): { code: GrpcStatus; details: string; metadata: Metadata } {
    const metadata = new Metadata();
    metadata.set('drex-error-code', this.code);
    if (this.field) metadata.set('drex-field', this.field);
    return { code: this.status, details: `[${this.code}] ${this.message}`, metadata };
  }
}
