// applyTransfer and planBatches refuse, with a named reason and before any proving time is spent, every
// transfer the k-transfer circuit would refuse; a refusal leaves the ledger as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { FIELD_ORDER } from './crypto.ts';
import { TransferRejectedError, type TransferRejection } from './errors.ts';
import type { PlacedNote } from './note.ts';
import { Ledger } from './ledger.ts';
import type { SignedIntent } from './intent.ts';
import { planBatches } from './plan-batches.ts';
import { fundedLedger, ASSET, TEST_DOMAIN, type FundedLedger } from './test-fixtures.ts';
import { applyTransfer } from './transfer-slot.ts';

const SHAPE = { k: 2, depth: 8, nullDepth: 8 };
let f: FundedLedger;

beforeAll(async () => {
  f = await fundedLedger(SHAPE);
});

/** A copy of the funded ledger, so that every case starts from the same point. */
const ledger = () => Ledger.fromSnapshot(f.crypto, f.ledger.toSnapshot());
const notes = (l: Ledger, who: bigint) => l.notesOf(who, ASSET);

/** Applies `signed` spending `inputs` and expects the refusal `code`, the ledger left at its point. */
function refused(code: TransferRejection, signed: SignedIntent, inputs: (l: Ledger) => PlacedNote[] = (l) => notes(l, signed.intent.sender).slice(0, 1)): string {
  const l = ledger();
  const before = l.toSnapshot();
  let err: unknown;
  try {
    applyTransfer(f.crypto, l, f.policy, signed, inputs(l));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TransferRejectedError);
  expect((err as TransferRejectedError).code).toBe(code);
  expect(l.toSnapshot()).toEqual(before);
  return (err as Error).message;
}

describe('applyTransfer refuses what the circuit refuses, naming why', () => {
  it('applies a valid transfer: two notes appended, three nullifier keys inserted, change to the sender', () => {
    const l = ledger();
    const before = l.point;
    const [note] = notes(l, f.alice.owner);
    const a = applyTransfer(f.crypto, l, f.policy, f.intent(f.alice, f.bob.owner, 40n), [note!]);
    expect(l.point.noteIndex).toBe(before.noteIndex + 2);
    expect(l.point.setSize).toBe(before.setSize + 2); // one spent note, one intent (an unused input slot inserts nothing)
    expect(a.outputs.map((n) => [n.owner, n.amount])).toEqual([
      [f.bob.owner, 40n],
      [f.alice.owner, note!.amount - 40n],
    ]);
    expect([a.valueIn, a.valueOut]).toEqual([0n, 0n]);
  });

  it('MALFORMED_INTENT: a value outside the field, an unknown kind, recipient 0 outside a withdrawal, a withdrawal to someone, more than two notes', () => {
    const s = f.intent(f.alice, f.bob.owner, 5n);
    expect(refused('MALFORMED_INTENT', { ...s, intent: { ...s.intent, asset: FIELD_ORDER } })).toMatch(/asset is not a BN254 field element/);
    expect(refused('MALFORMED_INTENT', { ...s, intent: { ...s.intent, kind: 'mint' as never } })).toMatch(/kind mint is not one of transfer, deposit, withdraw/);
    expect(refused('MALFORMED_INTENT', { ...s, intent: { ...s.intent, kind: 'toString' as never } })).toMatch(/kind toString/);
    expect(refused('MALFORMED_INTENT', f.intent(f.alice, 0n, 5n, { kind: 'transfer' }))).toMatch(/recipient 0 is only for a withdrawal/);
    expect(refused('MALFORMED_INTENT', f.intent(f.minter, f.bob.owner, 5n, { kind: 'withdraw' }))).toMatch(/a withdrawal pays recipient 0/);
    const three = (l: Ledger) => [...notes(l, f.alice.owner), ...notes(l, f.alice.owner)].slice(0, 3);
    expect(refused('MALFORMED_INTENT', f.intent(f.alice, f.bob.owner, 5n), three)).toMatch(/at most 2 notes/);
  });

  it('AMOUNT_OUT_OF_RANGE and OVER_COMPLIANCE_LIMIT', () => {
    expect(refused('AMOUNT_OUT_OF_RANGE', f.intent(f.alice, f.bob.owner, 1n << 64n))).toMatch(/outside \(0, 2\^64\)/);
    expect(refused('OVER_COMPLIANCE_LIMIT', f.intent(f.alice, f.bob.owner, f.policy.complianceLimit + 1n))).toMatch(/exceeds the compliance limit/);
  });

  it('BAD_SIGNATURE: an intent signed for another domain, a changed amount, or another sender\'s authorization', () => {
    const s = f.intent(f.alice, f.bob.owner, 5n);
    refused('BAD_SIGNATURE', { ...s, domain: TEST_DOMAIN + 1n });
    refused('BAD_SIGNATURE', { ...s, intent: { ...s.intent, amount: 6n } });
    expect(refused('BAD_SIGNATURE', { ...s, auth: f.intent(f.bob, f.alice.owner, 5n).auth })).toMatch(/does not belong to the intent sender/);
  });

  it('NOT_MINTER: a deposit or withdrawal by anyone but the minter', () => {
    refused('NOT_MINTER', f.intent(f.alice, f.bob.owner, 5n, { kind: 'deposit' }), () => []);
    refused('NOT_MINTER', f.intent(f.alice, 0n, 5n, { kind: 'withdraw' }));
  });

  it('INSUFFICIENT_FUNDS: a transfer spending nothing, or less than it moves; a deposit may spend nothing only', () => {
    refused('INSUFFICIENT_FUNDS', f.intent(f.alice, f.bob.owner, 5n), () => []);
    refused('INSUFFICIENT_FUNDS', f.intent(f.bob, f.alice.owner, 501n));
    expect(refused('MALFORMED_INTENT', f.intent(f.minter, f.bob.owner, 5n), (l) => notes(l, f.alice.owner).slice(0, 1))).toMatch(/a deposit spends no notes/);
  });

  it('NOTE_NOT_OWNED, ASSET_MISMATCH and NOTE_NOT_IN_TREE', () => {
    refused('NOTE_NOT_OWNED', f.intent(f.bob, f.alice.owner, 5n), (l) => notes(l, f.alice.owner).slice(0, 1));
    refused('ASSET_MISMATCH', f.intent(f.alice, f.bob.owner, 5n), (l) => [{ ...notes(l, f.alice.owner)[0]!, asset: ASSET + 1n }]);
    refused('NOTE_NOT_IN_TREE', f.intent(f.alice, f.bob.owner, 5n), (l) => [{ ...notes(l, f.alice.owner)[0]!, salt: 1n }]);
  });

  it('NULLIFIER_REUSED: one note twice in a transfer, or a note already spent; INTENT_REPLAYED: a nonce used twice', () => {
    refused('NULLIFIER_REUSED', f.intent(f.alice, f.bob.owner, 5n), (l) => [notes(l, f.alice.owner)[0]!, notes(l, f.alice.owner)[0]!]);
    const l = ledger();
    const [note] = notes(l, f.alice.owner);
    applyTransfer(f.crypto, l, f.policy, f.intent(f.alice, f.bob.owner, 5n, { nonce: 777n }), [note!]);
    l.removeNote(note!.commitment); // as planBatches does
    const snap = l.toSnapshot();
    for (const [code, signed] of [
      ['NULLIFIER_REUSED', f.intent(f.alice, f.bob.owner, 5n)],
      ['INTENT_REPLAYED', f.intent(f.alice, f.bob.owner, 5n, { nonce: 777n })],
    ] as const) {
      const spend = code === 'NULLIFIER_REUSED' ? [note!] : notes(l, f.alice.owner).slice(0, 1);
      expect(() => applyTransfer(f.crypto, l, f.policy, signed, spend)).toThrow(expect.objectContaining({ code }));
      expect(l.toSnapshot()).toEqual(snap);
    }
  });
});

describe('planBatches', () => {
  it('plans in proofs of k, the last one partly filled, chaining the ledger points', () => {
    const l = ledger();
    const start = l.point;
    const plan = planBatches(f.crypto, l, f.params, [0, 1, 2].map(() => ({ signed: f.intent(f.alice, f.bob.owner, 1n) })));
    expect(plan.proofs.map((p) => p.transfers.map((t) => t.index))).toEqual([[0, 1], [2]]);
    expect(plan.points[0]).toEqual(start);
    expect(plan.points.at(-1)).toEqual(l.point);
    expect(l.point.noteIndex).toBe(start.noteIndex + 6);
  });

  it('is all or nothing: the first refused intent is named by its index and the ledger is left as it was', () => {
    const l = ledger();
    const snap = l.toSnapshot();
    const items = [f.intent(f.alice, f.bob.owner, 1n), f.intent(f.bob, f.alice.owner, 1n), f.intent(f.carol, f.alice.owner, 1n)].map((signed) => ({ signed }));
    expect(() => planBatches(f.crypto, l, f.params, items)).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_FUNDS', transferIndex: 2 }));
    expect(l.toSnapshot()).toEqual(snap);
  });

  it('refuses an intent signed for another domain than the ledger\'s (BAD_SIGNATURE), and depths other than the ledger\'s', () => {
    const l = ledger();
    const other = f.intent(f.alice, f.bob.owner, 1n, { domain: TEST_DOMAIN + 1n });
    expect(() => planBatches(f.crypto, l, f.params, [{ signed: other }])).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE', transferIndex: 0 }));
    expect(() => planBatches(f.crypto, l, { ...f.params, depth: 9 }, [])).toThrow(RangeError);
  });
});
