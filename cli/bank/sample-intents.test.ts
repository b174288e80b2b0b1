import { describe, expect, it } from 'vitest';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { Ledger } from '../../circuits/model/ledger.ts';
import { planBatches } from '../../circuits/model/plan-batches.ts';
import { devMinter } from '../../circuits/sample/dev-accounts.ts';
import { DEV_COMPLIANCE_LIMIT } from '../../circuits/sample/sample-transfer.ts';
import { signedIntentOf } from '../../orchestrator/api/validate-submit.ts';
import { fundedDevAccounts, GENESIS_NOTE_AMOUNT, genesisIntents, sampleIntents } from './sample-intents.ts';

const DOMAIN = 777n;

describe('genesis and sample intents', () => {
  it('fund exactly the accounts the sample transfers send from, so both banks\' samples plan after the genesis', async () => {
    const crypto = await loadCrypto();
    const params = { k: 1, depth: 8, nullDepth: 9, domain: DOMAIN, policy: { complianceLimit: DEV_COMPLIANCE_LIMIT, minter: devMinter(crypto).owner } };
    const ledger = Ledger.empty(crypto, params.depth, params.nullDepth);
    const plan = (wire: ReturnType<typeof sampleIntents>) => planBatches(crypto, ledger, params, wire.map((w) => ({ signed: signedIntentOf(w, DOMAIN) })));

    const genesis = genesisIntents(crypto, DOMAIN);
    expect(genesis).toEqual(genesisIntents(crypto, DOMAIN)); // deterministic: resubmitting is the same batch
    expect(plan(genesis).proofs).toHaveLength(2);
    for (const bank of ['bank-a', 'bank-b']) {
      const [funded] = fundedDevAccounts(crypto, bank);
      expect(ledger.balanceOf(funded!.owner, BigInt(genesis[0]!.asset))).toBe(GENESIS_NOTE_AMOUNT);
    }
    // Four transfers from one funded account in one batch: each spends the previous one's change.
    // Each bank's funded account pays four and receives one of the other bank's four.
    expect(plan(sampleIntents(crypto, DOMAIN, 'bank-a', 4, 500n)).proofs).toHaveLength(4);
    expect(plan(sampleIntents(crypto, DOMAIN, 'bank-b', 4, 1_000n)).proofs).toHaveLength(4);
    const balance = (bank: string) => ledger.balanceOf(fundedDevAccounts(crypto, bank)[0]!.owner, BigInt(genesis[0]!.asset));
    expect(balance('bank-a')).toBe(GENESIS_NOTE_AMOUNT - 4n * 500n + 1_000n);
    expect(balance('bank-b')).toBe(GENESIS_NOTE_AMOUNT - 4n * 1_000n + 500n);
  });
});
