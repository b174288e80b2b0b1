import type { Crypto } from '../../circuits/model/crypto.ts';
import { signIntent } from '../../circuits/model/intent.ts';
import { DREX_BRL } from '../../circuits/sample/sample-transfer.ts';
import { devBankAccounts, devMinter } from '../../circuits/sample/dev-accounts.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';
import { wireIntentOf } from '../bank/wire-intent.ts';
import type { Prng } from './prng.ts';

/** One batch to submit: its idempotency key and its intents. */
export interface ChaosBatch {
  idempotencyKey: string;
  intents: WireIntent[];
}

/**
 * `transfers` deposits by the dev minter to the dev accounts of bank-a and bank-b (round robin), split
 * into `batches` batches of near-equal size, signed in the deployment's `domain`. Nonces, seeds and
 * amounts come from `rng`, so a seed gives the same batches (EdDSA is deterministic).
 */
export function depositBatches(crypto: Crypto, rng: Prng, o: { seed: number; batches: number; transfers: number; domain: bigint }): ChaosBatch[] {
  const minter = devMinter(crypto);
  const recipients = ['bank-a', 'bank-b'].flatMap((b) => devBankAccounts(crypto, b));
  const nonces = new Set<bigint>();
  const nextNonce = () => {
    let n = rng.bigint62();
    while (n === 0n || nonces.has(n)) n = rng.bigint62();
    nonces.add(n);
    return n;
  };
  const out: ChaosBatch[] = [];
  let k = 0;
  for (let b = 0; b < o.batches; b++) {
    const size = Math.floor(o.transfers / o.batches) + (b < o.transfers % o.batches ? 1 : 0);
    const intents: WireIntent[] = [];
    for (let i = 0; i < size; i++, k++) {
      const to = recipients[k % recipients.length]!;
      const nonce = nextNonce();
      const amount = BigInt(1_000 + rng.int(0, 99_000));
      const seed = crypto.hash([rng.bigint62(), rng.bigint62()]);
      intents.push(wireIntentOf(signIntent(crypto, minter, o.domain, { kind: 'deposit', sender: minter.owner, recipient: to.owner, amount, asset: DREX_BRL, nonce, seed })));
    }
    out.push({ idempotencyKey: `chaos-${o.seed}-${b}`, intents });
  }
  return out;
}
