import type { SignedIntent } from '../../circuits/model/intent.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';

/** A signed intent in the bank API's wire form (decimal strings); its domain is not sent (it is the deployment's). */
export function wireIntentOf(s: SignedIntent): WireIntent {
  return {
    kind: s.intent.kind,
    sender: String(s.intent.sender),
    recipient: String(s.intent.recipient),
    amount: String(s.intent.amount),
    asset: String(s.intent.asset),
    nonce: String(s.intent.nonce),
    seed: String(s.intent.seed),
    signature: { r8x: String(s.signature.R8x), r8y: String(s.signature.R8y), s: String(s.signature.S) },
    auth: { ax: String(s.auth.Ax), ay: String(s.auth.Ay), nk: String(s.auth.nk) },
  };
}
