import type { FundedLedger } from '../../circuits/model/test-fixtures.ts';
import type { PlanItem } from '../../circuits/model/plan-batches.ts';

/** `n` intents of `amount` cycling alice -> bob -> carol -> alice (each sender holds a fitting note by then). */
export function transferCycle(f: FundedLedger, n: number, amount = 10n): PlanItem[] {
  const ring = [f.alice, f.bob, f.carol];
  return Array.from({ length: n }, (_, i) => ({ signed: f.intent(ring[i % 3]!, ring[(i + 1) % 3]!.owner, amount) }));
}
