import { describe, expect, it } from 'vitest';
import { Ledger } from '../../circuits/model/ledger.ts';
import { planBatches } from '../../circuits/model/plan-batches.ts';
import { fundedLedger } from '../../circuits/model/test-fixtures.ts';
import { applyDelta } from '../store/ledger-delta.ts';
import { checkpointOf, ledgerDelta } from './ledger-diff.ts';

describe('ledgerDelta', () => {
  it('records what one planned batch changed, so that the snapshot before plus the delta is the ledger after', async () => {
    const f = await fundedLedger({ k: 2, depth: 6, nullDepth: 7 });
    const snapshot = f.ledger.toSnapshot();
    const before = checkpointOf(f.ledger);
    // Alice pays twice: the second payment spends the first one's change (made and spent in this batch).
    planBatches(f.crypto, f.ledger, f.params, [
      { signed: f.intent(f.alice, f.bob.owner, 1200n) },
      { signed: f.intent(f.alice, f.carol.owner, 50n) },
      { signed: f.intent(f.bob, f.carol.owner, 10n) },
    ]);
    const delta = ledgerDelta(before, f.ledger);
    expect(delta.sizeBefore).toBe(snapshot.leaves.length);
    expect(delta.keysBefore).toBe(snapshot.keys.length);
    const spentBefore = snapshot.notes.map((n) => n.commitment).filter((c) => f.ledger.note(BigInt(c)) === undefined);
    expect(delta.removed.sort()).toEqual(spentBefore.sort());
    expect(delta.removed.length).toBeGreaterThan(0);
    // A note made and spent inside the batch is in neither list.
    const made = new Set(delta.added.map((n) => n.commitment));
    for (const c of delta.removed) expect(made.has(c)).toBe(false);

    const after = Ledger.fromSnapshot(f.crypto, applyDelta(snapshot, delta));
    expect(after.point).toEqual(f.ledger.point);
    expect(after.toSnapshot()).toEqual(f.ledger.toSnapshot());
  });
});
