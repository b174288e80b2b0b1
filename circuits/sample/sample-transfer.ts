import { DEFAULT_CIRCUIT, type CircuitSpec } from '../build/compile.ts';
import { loadCrypto, type Crypto } from '../model/crypto.ts';
import { devAccount, type Account } from '../model/keys.ts';
import type { TransferPolicy } from '../model/policy.ts';
import { signIntent } from '../model/intent.ts';
import { Ledger } from '../model/ledger.ts';
import { planBatches, type BatchParams, type BatchPlan, type PlannedProof } from '../model/plan-batches.ts';
import { devMinter } from './dev-accounts.ts';

/** The asset id of the demo digital real. */
export const DREX_BRL = 986n;
/** Default per-transfer compliance limit of the dev policy (in centavos). */
export const DEV_COMPLIANCE_LIMIT = 100_000_000_000n;
/** The domain the sample's intents are signed in (a deployment's is its settlement contract's `domain()`). */
export const SAMPLE_DOMAIN = 1_986n;

/** The dev actors: the minter (central bank) and one customer account at each of two demo banks. */
export interface DevActors {
  minter: Account;
  alice: Account;
  bob: Account;
}

export function devActors(crypto: Crypto): DevActors {
  return {
    minter: devMinter(crypto),
    alice: devAccount(crypto, 'bank-a/alice'),
    bob: devAccount(crypto, 'bank-b/bob'),
  };
}

export function devPolicy(actors: DevActors): TransferPolicy {
  return { complianceLimit: DEV_COMPLIANCE_LIMIT, minter: actors.minter.owner };
}

/** A sample ledger: the minter deposits 1000.00 to alice, then alice pays bob 250.00. */
export interface Sample {
  crypto: Crypto;
  actors: DevActors;
  policy: TransferPolicy;
  params: BatchParams;
  /** The ledger after both. */
  ledger: Ledger;
  /** The payment's plan (from the ledger after the deposit). */
  plan: BatchPlan;
  /** alice -> bob, spending the deposited note: the proof `prove --sample` makes. */
  proof: PlannedProof;
}

/** Builds the sample for the circuit `spec` (its k, depths) in `domain`. Deterministic but for the salts' seeds. */
export async function buildSample(spec: CircuitSpec = DEFAULT_CIRCUIT, domain = SAMPLE_DOMAIN): Promise<Sample> {
  const crypto = await loadCrypto();
  const actors = devActors(crypto);
  const policy = devPolicy(actors);
  const params: BatchParams = { k: spec.k, depth: spec.depth, nullDepth: spec.nullDepth, policy, domain };
  const ledger = Ledger.empty(crypto, spec.depth, spec.nullDepth);
  const deposit = signIntent(crypto, actors.minter, domain, {
    kind: 'deposit',
    sender: actors.minter.owner,
    recipient: actors.alice.owner,
    amount: 100_000n,
    asset: DREX_BRL,
    nonce: 1n,
    seed: 11n,
  });
  planBatches(crypto, ledger, params, [{ signed: deposit }]);
  const pay = signIntent(crypto, actors.alice, domain, {
    kind: 'transfer',
    sender: actors.alice.owner,
    recipient: actors.bob.owner,
    amount: 25_000n,
    asset: DREX_BRL,
    nonce: 1n,
    seed: 12n,
  });
  const plan = planBatches(crypto, ledger, params, [{ signed: pay }]);
  return { crypto, actors, policy, params, ledger, plan, proof: plan.proofs[0]! };
}
