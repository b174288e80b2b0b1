import { describe, expect, it } from 'vitest';
import { DrexError } from './errors.ts';
import { ChainUnavailableError, ContractRevertedError } from '../ledger-bridge/chain/errors.ts';
import { R1csFormatError } from '../circuits/ceremony/r1cs-file.ts';
import { TransferRejectedError } from '../circuits/model/errors.ts';
import { ApiError } from '../orchestrator/api/api-error.ts';

describe('DrexError', () => {
  it('is the base of the components\' errors, each with its code and whether a retry can help', () => {
    const cause = new Error('ECONNREFUSED');
    const down = new ChainUnavailableError('the chain did not answer', { cause });
    expect(down).toBeInstanceOf(DrexError);
    expect(down).toMatchObject({ name: 'ChainUnavailableError', code: 'CHAIN_UNAVAILABLE', retryable: true, cause });
    const reverted = new ContractRevertedError('settle', 'StaleNullifierRoot', [0n, 1n, 2n]);
    expect(reverted).toMatchObject({ code: 'CONTRACT_REVERTED', retryable: false });
    expect(new R1csFormatError('not an r1cs')).toMatchObject({ code: 'R1CS_INVALID', retryable: false });
    expect(new TransferRejectedError('INSUFFICIENT_FUNDS', 'no notes')).toBeInstanceOf(DrexError);
    expect(new ApiError(3, 'INVALID_FIELD', 'bad', 'amount')).toMatchObject({ code: 'INVALID_FIELD', message: 'amount: bad' });
  });
});
