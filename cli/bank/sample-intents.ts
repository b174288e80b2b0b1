import { randomBytes } from 'node:crypto';
import type { Crypto } from '../../circuits/model/crypto.ts';
import { randomField } from '../../circuits/model/note.ts';
import { signIntent } from '../../circuits/model/intent.ts';
import { DREX_BRL } from '../../circuits/sample/sample-transfer.ts';
import { devBankAccounts, devMinter } from '../../circuits/sample/dev-accounts.ts';
import { DEV_BANKS } from '../../orchestrator/banks/bank-registry.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';
import { wireIntentOf } from './wire-intent.ts';

/** Genesis notes per dev account, and their amount (1,000,000.00 in centavos). */
export const GENESIS_NOTES_PER_ACCOUNT = 1;
export const GENESIS_NOTE_AMOUNT = 100_000_000n;

/**
 * The genesis batch of the devnet: the minter deposits GENESIS_NOTES_PER_ACCOUNT notes to every dev
 * account of the two demo banks, in the deployment's `domain`. Deterministic (fixed nonces and seeds,
 * deterministic EdDSA), so resubmitting it with the same idempotency key is recognised as the same batch.
 */
export function genesisIntents(crypto: Crypto, domain: bigint): WireIntent[] {
  const minter = devMinter(crypto);
  const out: WireIntent[] = [];
  let nonce = 0n;
  for (const bank of DEV_BANKS.filter((b) => b !== 'central-bank')) {
    for (const acct of devBankAccounts(crypto, bank)) {
      for (let i = 0; i < GENESIS_NOTES_PER_ACCOUNT; i++) {
        ++nonce;
        const intent = { kind: 'deposit' as const, sender: minter.owner, recipient: acct.owner, amount: GENESIS_NOTE_AMOUNT, asset: DREX_BRL, nonce, seed: crypto.hash([domain, nonce]) };
        out.push(wireIntentOf(signIntent(crypto, minter, domain, intent)));
      }
    }
  }
  return out;
}

/** A random 62-bit nonce (unique with overwhelming probability). */
export function randomNonce(): bigint {
  return BigInt(`0x${randomBytes(8).toString('hex')}`) >> 2n;
}

/**
 * N valid demo transfers from `bankId`'s dev accounts (round robin) to the other demo bank's accounts,
 * with small random amounts (or each `amount`, so an operator can trace a known value); for the central
 * bank, N deposits by the minter. Signed in the deployment's `domain`.
 */
export function sampleIntents(crypto: Crypto, domain: bigint, bankId: string, n: number, amount?: bigint): WireIntent[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('--sample needs a positive count');
  if (amount !== undefined && (amount <= 0n || amount >= 1n << 64n)) throw new RangeError('--amount must be a positive 64-bit integer');
  const other = bankId === 'bank-a' ? 'bank-b' : 'bank-a';
  const recipients = devBankAccounts(crypto, other);
  const senders = bankId === 'central-bank' ? [devMinter(crypto)] : devBankAccounts(crypto, bankId);
  return Array.from({ length: n }, (_, i) => {
    const from = senders[i % senders.length]!;
    const to = recipients[(i * 7 + 3) % recipients.length]!;
    const value = amount ?? 100n + BigInt(randomBytes(2).readUInt16BE(0));
    const kind = bankId === 'central-bank' ? ('deposit' as const) : ('transfer' as const);
    return wireIntentOf(signIntent(crypto, from, domain, { kind, sender: from.owner, recipient: to.owner, amount: value, asset: DREX_BRL, nonce: randomNonce(), seed: randomField() }));
  });
}
