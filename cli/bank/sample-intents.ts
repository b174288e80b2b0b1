import { randomBytes } from 'node:crypto';
import type { Crypto } from '../../circuits/model/crypto.ts';
import { randomField } from '../../circuits/model/note.ts';
import { signIntent } from '../../circuits/model/intent.ts';
import type { Account } from '../../circuits/model/keys.ts';
import { DREX_BRL } from '../../circuits/sample/sample-transfer.ts';
import { devBankAccounts, devMinter } from '../../circuits/sample/dev-accounts.ts';
import { DEV_BANKS } from '../../orchestrator/banks/bank-registry.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';
import { wireIntentOf } from './wire-intent.ts';

/** The genesis note's amount (1,000,000.00 in centavos). */
export const GENESIS_NOTE_AMOUNT = 100_000_000n;

/**
 * The dev accounts of a demo bank that the genesis funds: its first account only. Each deposit is a
 * proof at k = 1, so funding one account per bank keeps the genesis to two proofs; sample transfers
 * send from it (a batch chains the sender's change notes, so one note pays many transfers).
 */
export function fundedDevAccounts(crypto: Crypto, bankId: string): Account[] {
  return devBankAccounts(crypto, bankId, 1);
}

/**
 * The genesis batch of the devnet: the minter deposits one note of GENESIS_NOTE_AMOUNT to each funded
 * dev account of the two demo banks, in the deployment's `domain`. Deterministic (fixed nonces and seeds,
 * deterministic EdDSA), so resubmitting it with the same idempotency key is recognised as the same batch.
 */
export function genesisIntents(crypto: Crypto, domain: bigint): WireIntent[] {
  const minter = devMinter(crypto);
  const recipients = DEV_BANKS.filter((b) => b !== 'central-bank').flatMap((bank) => fundedDevAccounts(crypto, bank));
  return recipients.map((acct, i) => {
    const nonce = BigInt(i + 1);
    const intent = { kind: 'deposit' as const, sender: minter.owner, recipient: acct.owner, amount: GENESIS_NOTE_AMOUNT, asset: DREX_BRL, nonce, seed: crypto.hash([domain, nonce]) };
    return wireIntentOf(signIntent(crypto, minter, domain, intent));
  });
}

/** A random 62-bit nonce (unique with overwhelming probability). */
export function randomNonce(): bigint {
  return BigInt(`0x${randomBytes(8).toString('hex')}`) >> 2n;
}

/**
 * N valid demo transfers from `bankId`'s funded dev accounts (round robin) to the other demo bank's accounts,
 * with small random amounts (or each `amount`, so an operator can trace a known value); for the central
 * bank, N deposits by the minter. Signed in the deployment's `domain`.
 */
export function sampleIntents(crypto: Crypto, domain: bigint, bankId: string, n: number, amount?: bigint): WireIntent[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('--sample needs a positive count');
  if (amount !== undefined && (amount <= 0n || amount >= 1n << 64n)) throw new RangeError('--amount must be a positive 64-bit integer');
  const other = bankId === 'bank-a' ? 'bank-b' : 'bank-a';
  const recipients = devBankAccounts(crypto, other);
  const senders = bankId === 'central-bank' ? [devMinter(crypto)] : fundedDevAccounts(crypto, bankId);
  return Array.from({ length: n }, (_, i) => {
    const from = senders[i % senders.length]!;
    const to = recipients[(i * 7 + 3) % recipients.length]!;
    const value = amount ?? 100n + BigInt(randomBytes(2).readUInt16BE(0));
    const kind = bankId === 'central-bank' ? ('deposit' as const) : ('transfer' as const);
    return wireIntentOf(signIntent(crypto, from, domain, { kind, sender: from.owner, recipient: to.owner, amount: value, asset: DREX_BRL, nonce: randomNonce(), seed: randomField() }));
  });
}
