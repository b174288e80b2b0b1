import type { FundedV2 } from '../../circuits/model/v2/test-fixtures.ts';
import type { PlanItemV2 } from '../../circuits/model/v2/plan-batches.ts';

/** `n` intents of `amount` cycling alice -> bob -> carol -> alice (each sender holds a fitting note by then). */
export function transferCycle(f: FundedV2, n: number, amount = 10n): PlanItemV2[] {
  const ring = [f.alice, f.bob, f.carol];
  return Array.from({ length: n }, (_, i) => ({ signed: f.intent(ring[i % 3]!, ring[(i + 1) % 3]!.owner, amount) }));
}
