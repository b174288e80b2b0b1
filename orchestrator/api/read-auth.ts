import { status } from '@grpc/grpc-js';
import { readSigningBytes } from '../../protocol/bank-request-signing.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { BankRegistry } from '../banks/bank-registry.ts';
import { ApiError } from './api-error.ts';
import type { NonceGuard } from './nonce-guard.ts';
import { checkBankSignature, checkFreshness, nonceOf, timestampOf, type SignedRequestParts } from './signed-request.ts';

/** GetBatchRequest / WatchBatchRequest as proto-loader delivers them (keepCase, longs as strings). */
export interface ReadRequestWire extends SignedRequestParts {
  batch_id?: string;
  from_seq?: string | number;
  bank_id?: string;
}

/**
 * Authenticates a GetBatch, WatchBatch or GetDeployment call and answers the calling bank: the bank of its mTLS client
 * certificate (`tlsBankId`), or the registered bank whose key signed the request, with a fresh
 * timestamp and a nonce never used before (claimed in Redis). The checks run in that order, so nobody
 * but the bank can spend its nonces.
 */
export async function authenticateRead(
  o: { banks: BankRegistry; nonces: NonceGuard; maxClockSkewMs: number; now?: number },
  method: 'GetBatch' | 'WatchBatch' | 'GetDeployment',
  req: ReadRequestWire,
  tlsBankId: string | undefined,
): Promise<string> {
  const bankId = String(req.bank_id ?? '');
  if (tlsBankId !== undefined) {
    if (bankId !== '' && bankId !== tlsBankId) {
      throw new ApiError(status.PERMISSION_DENIED, ErrorCode.UNKNOWN_BANK, `the client certificate belongs to "${tlsBankId}"`, 'bank_id');
    }
    return tlsBankId;
  }
  const bank = bankId === '' ? undefined : o.banks.get(bankId);
  if (!bank) throw new ApiError(status.UNAUTHENTICATED, ErrorCode.UNKNOWN_BANK, bankId ? `unknown bank "${bankId.slice(0, 64)}"` : 'is required (or call over mTLS)', 'bank_id');
  const timestampMs = timestampOf(req);
  const nonce = nonceOf(req);
  const bytes = readSigningBytes({ method, bankId, batchId: String(req.batch_id ?? ''), fromSeq: String(req.from_seq ?? '0'), timestampMs, nonce });
  checkBankSignature(bank, bytes, req.signature);
  checkFreshness(timestampMs, o.maxClockSkewMs, o.now);
  await o.nonces.claim(bankId, nonce);
  return bankId;
}
