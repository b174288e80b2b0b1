import { describe, expect, it } from 'vitest';
import { TransferRejectedError, type TransferRejection } from './errors.ts';
import { planTransfers } from './plan-transfers.ts';
import { buildTransferWitness, publicSignalsOf, parsePublicSignals } from './transfer-witness.ts';
import { intentHash, type SignedIntent } from './intent.ts';
import { noteCommitment } from './note.ts';
import { funded, ASSET } from './test-fixtures.ts';

function rejection(fn: () => unknown): TransferRejectedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TransferRejectedError) return err;
    throw err;
  }
  throw new Error('expected a TransferRejectedError');
}

function expectRejected(fn: () => unknown, code: TransferRejection, index?: number): TransferRejectedError {
  const err = rejection(fn);
  expect(err.code).toBe(code);
  if (index !== undefined) expect(err.transferIndex).toBe(index);
  return err;
}

describe('planTransfers', () => {
  it('plans deposits and transfers into a chain of roots that the state follows', async () => {
    const f = await funded();
    expect(f.state.balanceOf(f.alice.owner, ASSET)).toBe(1300n);
    const before = f.state.root;
    const plan = planTransfers(f.crypto, f.state, f.policy, [
      { signed: f.intent(f.alice, f.bob.owner, 1200n) }, // needs both of alice's notes
      { signed: f.intent(f.bob, f.carol.owner, 1700n) }, // bob's 500 + 1200
    ]);
    expect(plan.roots).toHaveLength(3);
    expect(plan.roots[0]).toBe(before);
    plan.transfers.forEach((t, i) => {
      expect(t.public.rootBefore).toBe(plan.roots[i]);
      expect(t.public.rootAfter).toBe(plan.roots[i + 1]);
      expect(t.public.valueIn).toBe(0n);
    });
    expect(plan.transfers[0]!.spent).toHaveLength(2);
    expect(f.state.root).toBe(plan.roots[2]);
    expect(f.state.balanceOf(f.alice.owner, ASSET)).toBe(100n);
    expect(f.state.balanceOf(f.bob.owner, ASSET)).toBe(0n);
    expect(f.state.balanceOf(f.carol.owner, ASSET)).toBe(1700n);
    expect(parsePublicSignals(publicSignalsOf(plan.transfers[1]!.public))).toEqual(plan.transfers[1]!.public);
  });

  it('lets the minter deposit and withdraw, with the value balance public', async () => {
    const f = await funded();
    const plan = planTransfers(f.crypto, f.state, f.policy, [
      { signed: f.intent(f.minter, f.carol.owner, 70n) },
      { signed: f.intent(f.minter, 0n, 30n) }, // the minter has no notes: nothing to withdraw from
    ].slice(0, 1));
    expect(plan.transfers[0]!.public.valueIn).toBe(70n);
    planTransfers(f.crypto, f.state, f.policy, [{ signed: f.intent(f.carol, f.minter.owner, 50n) }]);
    const w = planTransfers(f.crypto, f.state, f.policy, [{ signed: f.intent(f.minter, 0n, 40n) }]);
    expect(w.transfers[0]!.public.valueOut).toBe(40n);
    expect(f.state.balanceOf(f.minter.owner, ASSET)).toBe(10n);
  });

  it('refuses an overspend', async () => {
    const f = await funded();
    const err = expectRejected(() => planTransfers(f.crypto, f.state, f.policy, [{ signed: f.intent(f.bob, f.alice.owner, 501n) }]), 'INSUFFICIENT_FUNDS', 0);
    expect(err.message).toMatch(/holds 500/);
  });

  it('refuses amounts that do not balance', async () => {
    const f = await funded();
    const note = f.state.notesOf(f.bob.owner, ASSET)[0]!;
    expectRejected(
      () => buildTransferWitness(f.crypto, f.state.tree, f.policy, { signed: f.intent(f.bob, f.alice.owner, 200n), inputs: [note], change: 200n }),
      'UNBALANCED',
    );
  });

  it('refuses an amount of 2^64 or more', async () => {
    const f = await funded();
    expectRejected(
      () => planTransfers(f.crypto, f.state, { ...f.policy, complianceLimit: (1n << 64n) - 1n }, [{ signed: f.intent(f.minter, f.alice.owner, 1n << 64n) }]),
      'AMOUNT_OUT_OF_RANGE',
      0,
    );
  });

  it('refuses an amount over the compliance limit', async () => {
    const f = await funded();
    expectRejected(
      () => planTransfers(f.crypto, f.state, { ...f.policy, complianceLimit: 100n }, [{ signed: f.intent(f.alice, f.bob.owner, 101n) }]),
      'OVER_COMPLIANCE_LIMIT',
      0,
    );
  });

  it('refuses a wrong signature and a signature by another key', async () => {
    const f = await funded();
    const good = f.intent(f.alice, f.bob.owner, 10n);
    const bad: SignedIntent = { ...good, signature: { ...good.signature, S: good.signature.S + 1n } };
    expectRejected(() => planTransfers(f.crypto, f.state, f.policy, [{ signed: bad }]), 'BAD_SIGNATURE', 0);
    // bob signs an intent that names alice as sender.
    const F = f.crypto.eddsa.F;
    const forged = f.crypto.eddsa.signPoseidon(f.bob.sk, F.e(intentHash(f.crypto, good.intent)));
    const byBob: SignedIntent = { ...good, signature: { R8x: F.toObject(forged.R8[0]), R8y: F.toObject(forged.R8[1]), S: forged.S } };
    expectRejected(() => planTransfers(f.crypto, f.state, f.policy, [{ signed: byBob }]), 'BAD_SIGNATURE', 0);
  });

  it('refuses a signature over a different intent', async () => {
    const f = await funded();
    const signed = f.intent(f.alice, f.bob.owner, 10n);
    const other: SignedIntent = { ...signed, intent: { ...signed.intent, amount: 900n } };
    expectRejected(() => planTransfers(f.crypto, f.state, f.policy, [{ signed: other }]), 'BAD_SIGNATURE', 0);
  });

  it('refuses a note that is not in the tree', async () => {
    const f = await funded();
    const fake = { owner: f.alice.owner, amount: 5000n, asset: ASSET, salt: 7n, index: 0 };
    const placed = { ...fake, commitment: noteCommitment(f.crypto, fake) };
    expectRejected(
      () => buildTransferWitness(f.crypto, f.state.tree, f.policy, { signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [placed] }),
      'NOTE_NOT_IN_TREE',
    );
    expectRejected(
      () => planTransfers(f.crypto, f.state, f.policy, [{ signed: f.intent(f.alice, f.bob.owner, 10n), spend: [placed.commitment] }]),
      'NOTE_NOT_IN_TREE',
      0,
    );
  });

  it('refuses a wrong root_after', async () => {
    const f = await funded();
    const note = f.state.notesOf(f.bob.owner, ASSET)[0]!;
    expectRejected(
      () =>
        buildTransferWitness(f.crypto, f.state.tree, f.policy, {
          signed: f.intent(f.bob, f.alice.owner, 10n),
          inputs: [note],
          expectedRootAfter: f.state.root,
        }),
      'ROOT_MISMATCH',
    );
  });

  it('refuses a nullifier reused within one list, and leaves the state as it was', async () => {
    const f = await funded();
    const before = f.state.toSnapshot();
    const note = f.state.notesOf(f.bob.owner, ASSET)[0]!;
    expectRejected(
      () =>
        planTransfers(f.crypto, f.state, f.policy, [
          { signed: f.intent(f.bob, f.alice.owner, 10n), spend: [note.commitment] },
          { signed: f.intent(f.bob, f.carol.owner, 20n), spend: [note.commitment] },
        ]),
      'NULLIFIER_REUSED',
      1,
    );
    expect(f.state.toSnapshot()).toEqual(before);
    expectRejected(
      () => buildTransferWitness(f.crypto, f.state.tree, f.policy, { signed: f.intent(f.bob, f.alice.owner, 10n), inputs: [note, note] }),
      'NULLIFIER_REUSED',
    );
  });

  it('refuses a replayed intent', async () => {
    const f = await funded();
    const signed = f.intent(f.alice, f.bob.owner, 10n);
    expectRejected(() => planTransfers(f.crypto, f.state, f.policy, [{ signed }, { signed }]), 'INTENT_REPLAYED', 1);
  });

  it('refuses a value balance from a non-minter intent', async () => {
    const f = await funded();
    // A "deposit" (no input notes) by alice.
    expectRejected(() => planTransfers(f.crypto, f.state, f.policy, [{ signed: f.intent(f.alice, f.bob.owner, 10n), spend: [] }]), 'NOT_MINTER', 0);
    // A withdrawal (recipient 0) by alice.
    expectRejected(() => planTransfers(f.crypto, f.state, f.policy, [{ signed: f.intent(f.alice, 0n, 10n) }]), 'NOT_MINTER', 0);
  });

  it('refuses notes the sender does not own', async () => {
    const f = await funded();
    const bobs = f.state.notesOf(f.bob.owner, ASSET)[0]!;
    expectRejected(
      () => buildTransferWitness(f.crypto, f.state.tree, f.policy, { signed: f.intent(f.alice, f.carol.owner, 10n), inputs: [bobs] }),
      'NOTE_NOT_OWNED',
    );
  });
});
