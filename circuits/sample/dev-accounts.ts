import type { Crypto } from '../model/crypto.ts';
import { devAccount, type Account } from '../model/keys.ts';

/** Customer accounts per demo bank. */
export const DEV_ACCOUNTS_PER_BANK = 4;

/** The dev customer accounts of a demo bank: `<bank>/user-<i>`. Dev keys are public: demos only. */
export function devBankAccounts(crypto: Crypto, bankId: string, n = DEV_ACCOUNTS_PER_BANK): Account[] {
  return Array.from({ length: n }, (_, i) => devAccount(crypto, `${bankId}/user-${i}`));
}

/** The dev minter (held by the central bank). */
export function devMinter(crypto: Crypto): Account {
  return devAccount(crypto, 'minter');
}
