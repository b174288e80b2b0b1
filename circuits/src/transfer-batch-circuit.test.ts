// The k-transfer circuit (transfer-batch.circom) refuses every known soundness gap by itself: crafted
// inputs, built with the TypeScript checks waived, go straight to the circuit's witness calculator.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as snarkjs from 'snarkjs';
import { compileCircuit, type CompiledCircuit } from '../build/compile.ts';
import { silentProgress } from '../ceremony/progress.ts';
import { readR1cs } from '../ceremony/r1cs-file.ts';
import { failedConstraints, inputSignalNames, mainSignals, unpinnedSignals, witnessValues } from '../audit/witness-audit.ts';
import { fundedLedger, type FundedLedger } from '../model/test-fixtures.ts';
import { Ledger } from '../model/ledger.ts';
import { applyTransfer, type AppliedTransfer } from '../model/transfer-slot.ts';
import { batchWitness, batchPublicSignals, type CircuitInput } from '../model/batch-witness.ts';
import { planBatches } from '../model/plan-batches.ts';
import type { SignedIntent } from '../model/intent.ts';
import type { PlacedNote } from '../model/note.ts';
import { calculateWtns } from '../../prover/witness-stage.ts';
import { readBinSections } from '../../prover/bin-file.ts';
import { WitnessError } from '../../prover/errors.ts';

const SHAPE = { k: 2, depth: 8, nullDepth: 8 };
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
let circuit: CompiledCircuit;
let wasm: Uint8Array;
let f: FundedLedger;

beforeAll(async () => {
  circuit = await compileCircuit({ circuit: 'transfer-batch', ...SHAPE }, silentProgress());
  wasm = readFileSync(circuit.wasm);
  f = await fundedLedger(SHAPE);
}, 180_000);

type Mutable = Record<string, any>;
/** One crafted transfer per entry, applied with every TypeScript check waived, to a copy of f's ledger. */
function craft(entries: { signed: SignedIntent; inputs: PlacedNote[] }[], ledger = f.ledger): { input: Mutable; applied: AppliedTransfer[] } {
  const copy = Ledger.fromSnapshot(f.crypto, ledger.toSnapshot());
  const before = copy.point;
  const applied = entries.map((e) => applyTransfer(f.crypto, copy, f.policy, e.signed, e.inputs, { unchecked: true }));
  const w = batchWitness(f.params, before, copy.point, applied);
  return { input: structuredClone(w.input) as Mutable, applied };
}

async function accepted(input: CircuitInput | Mutable): Promise<Uint8Array> {
  return calculateWtns(wasm, input);
}

/**
 * The circuit's refusal of `input`; with `where`, the refusal must name that template and source line.
 * The refusal is the error alone: nothing is printed to the console.
 */
async function refused(input: Mutable, where?: { template: string; file: string; snippet: string }): Promise<string> {
  const spy = vi.spyOn(console, 'error');
  let printed: unknown[][] = [];
  const err = await calculateWtns(wasm, input)
    .then(
      () => {
        throw new Error('the circuit accepted inputs it must refuse');
      },
      (e: unknown) => e,
    )
    .finally(() => {
      printed = [...spy.mock.calls];
      spy.mockRestore();
    });
  expect(err).toBeInstanceOf(WitnessError);
  expect(printed).toEqual([]);
  const message = (err as Error).message;
  if (where) {
    const source = readFileSync(new URL(`./${where.file}`, import.meta.url), 'utf8').split('\n');
    const line = source.findIndex((l) => l.includes(where.snippet)) + 1;
    expect(line, `snippet not in ${where.file}: ${where.snippet}`).toBeGreaterThan(0);
    expect(message).toMatch(new RegExp(`${where.template}_\\d+ line: ${line}\\b`));
  }
  return message;
}

const slot = (snippet: string) => ({ template: 'TransferSlot', file: 'transfer-batch.circom', snippet });
const aliceNotes = () => f.ledger.notesOf(f.alice.owner, 986n);

describe('transfer-batch circuit: valid inputs', () => {
  it('accepts the planner\'s proofs (a partly filled last proof included) with the public signals the model computes', async () => {
    const g = await fundedLedger(SHAPE);
    const plan = planBatches(g.crypto, g.ledger, g.params, [
      { signed: g.intent(g.alice, g.bob.owner, 1200n) },
      { signed: g.intent(g.bob, g.carol.owner, 1700n) }, // spends a note created in the slot before
      { signed: g.intent(g.minter, g.carol.owner, 5n) },
    ]);
    expect(plan.proofs).toHaveLength(2);
    for (const p of plan.proofs) {
      const wtns = witnessValues(await accepted(p.input));
      expect(wtns.slice(1, 12).map(String)).toEqual(batchPublicSignals(p.public));
    }
    expect(plan.proofs[0]!.public.noteRootAfter).toBe(plan.proofs[1]!.public.noteRootBefore);
    expect(plan.proofs[1]!.public).toMatchObject({ transfers: 1n, valueIn: 5n, noteIndex: BigInt(plan.points[1]!.noteIndex) });
  }, 60_000);
});

describe('transfer-batch circuit: refuses every known gap by itself', () => {
  it('appends only at the public next index: a pair placed anywhere else is refused', async () => {
    const { input } = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [aliceNotes()[0]!] }]);
    // The siblings of another empty pair (12 pairs further on), with the public index unchanged.
    const other = f.ledger.tree.path(f.ledger.tree.size / 2 + 12, 1);
    input.insertPathElements[0] = other.elements.map(String);
    await refused(input, slot('(emptyPairPath.root - noteRoot) * active === 0;'));
    // An odd public index has no pair index.
    const odd = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [aliceNotes()[0]!] }]).input;
    odd.noteIndex = String(f.ledger.tree.size + 1);
    await refused(odd);
  });

  it('binds mint versus spend to the signed kind', async () => {
    // A transfer intent proved as a deposit: the signed kind differs.
    const t = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [aliceNotes()[0]!] }]).input;
    t.isDeposit[0] = '1';
    await refused(t);
    // The minter's deposit intent proved as a spend of the minter's notes.
    const g = Ledger.fromSnapshot(f.crypto, f.ledger.toSnapshot());
    planBatches(f.crypto, g, f.params, [{ signed: f.intent(f.alice, f.minter.owner, 100n) }]);
    const minterNote = g.notesOf(f.minter.owner, 986n)[0]!;
    const d = craft([{ signed: f.intent(f.minter, f.carol.owner, 100n, { kind: 'deposit' }), inputs: [minterNote] }], g).input;
    await refused(d, slot('isDeposit * used[0] === 0;'));
    // A withdrawal with no notes spent (would be mint-plus-burn).
    const w = craft([{ signed: f.intent(f.minter, 0n, 100n, { kind: 'withdraw' }), inputs: [] }]).input;
    await refused(w, slot('spending * (1 - used[0]) === 0;'));
    // A withdrawal intent proved as a transfer to someone (recipient must be 0 exactly for a withdrawal).
    const x = craft([{ signed: f.intent(f.minter, f.carol.owner, 100n, { kind: 'withdraw' }), inputs: [minterNote] }], g).input;
    await refused(x, slot('(isWithdraw - toNobody.out) * active === 0;'));
  });

  it('refuses a non-minter transfer without notes, and lets a zero-amount slot append nothing', async () => {
    const none = craft([{ signed: f.intent(f.carol, f.bob.owner, 10n), inputs: [] }]).input;
    await refused(none, slot('spending * (1 - used[0]) === 0;'));
    const asDeposit = craft([{ signed: f.intent(f.carol, f.bob.owner, 10n, { kind: 'deposit' }), inputs: [] }]).input;
    await refused(asDeposit, slot('(depositing + withdrawing) * (sender - minter) === 0;'));
    // Zero amount: the slot is not in use, so its two leaves cannot be claimed.
    const zero = craft([{ signed: f.intent(f.carol, f.bob.owner, 0n), inputs: [] }]).input;
    await refused(zero, { template: 'TransferBatch', file: 'transfer-batch.circom', snippet: 'noteRootAfter === noteRoots[k];' });
  });

  it('derives the created notes\' salts from the signed seed', async () => {
    const { input } = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [aliceNotes()[0]!] }]);
    input.seed[0] = String(BigInt(input.seed[0]) + 1n);
    await refused(input);
  });

  it('binds the intent to its domain', async () => {
    const { input } = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n, { domain: 777n }), inputs: [aliceNotes()[0]!] }]);
    expect(input.domain).toBe(String(f.params.domain));
    await refused(input);
  });

  it('refuses a wrong nk, leaf index, path bit, asset or owner', async () => {
    const base = () => craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [aliceNotes()[0]!] }]).input;
    const nk = base();
    nk.nk[0] = String(BigInt(nk.nk[0]) + 1n);
    await refused(nk);
    const index = base();
    index.inPathIndices[0][0][0] = String(1n - BigInt(index.inPathIndices[0][0][0]));
    await refused(index);
    const bit = base();
    bit.inPathIndices[0][0][0] = '2';
    await refused(bit, { template: 'MerkleRoot', file: 'merkle.circom', snippet: 'pathIndices[i] * (1 - pathIndices[i]) === 0;' });
    const note = aliceNotes()[0]!;
    const asset = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [{ ...note, asset: 987n }] }]).input;
    await refused(asset);
    const bobs = f.ledger.notesOf(f.bob.owner, 986n)[0]!;
    const owner = craft([{ signed: f.intent(f.alice, f.carol.owner, 10n), inputs: [bobs] }]).input;
    await refused(owner);
  });

  it('refuses a double spend inside a proof and across proofs, and a replayed intent', async () => {
    const note = aliceNotes()[0]!;
    const twice = craft([
      { signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [note] },
      { signed: f.intent(f.alice, f.carol.owner, 10n), inputs: [note] },
    ]).input;
    await refused(twice, { template: 'NullifierInsert', file: 'nullifier-set.circom', snippet: '(1 - above.out) * enabled === 0;' });
    // Across proofs: the note's nullifier is already in the set.
    const g = Ledger.fromSnapshot(f.crypto, f.ledger.toSnapshot());
    planBatches(f.crypto, g, f.params, [{ signed: f.intent(f.alice, f.bob.owner, 10n), spend: [note.commitment] }]);
    const again = craft([{ signed: f.intent(f.alice, f.carol.owner, 10n), inputs: [note] }], g).input;
    await refused(again, { template: 'NullifierInsert', file: 'nullifier-set.circom', snippet: '(1 - above.out) * enabled === 0;' });
    // The same signed intent twice, on different notes.
    const signed = f.intent(f.alice, f.bob.owner, 10n);
    const replay = craft([
      { signed, inputs: [aliceNotes()[0]!] },
      { signed, inputs: [aliceNotes()[1]!] },
    ]).input;
    await refused(replay, { template: 'NullifierInsert', file: 'nullifier-set.circom', snippet: '(1 - above.out) * enabled === 0;' });
    // A low leaf that does not bracket the key (claiming the key is absent elsewhere).
    const low = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [note] }]).input;
    low.lowValue[0][0] = String(BigInt(low.lowValue[0][0]) + 1n);
    await refused(low);
  });

  it('refuses a limit of 2^64 or more and an amount over the limit', async () => {
    const { input } = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [aliceNotes()[0]!] }]);
    input.limit = String(1n << 64n);
    await refused(input, { template: 'TransferBatch', file: 'transfer-batch.circom', snippet: 'limitBits.in <== limit;' });
    const over = craft([{ signed: f.intent(f.alice, f.bob.owner, 10n), inputs: [aliceNotes()[0]!] }]).input;
    over.limit = '9';
    await refused(over, slot('withinLimit.out === 1;'));
  });
});

describe('transfer-batch circuit: every private value is constrained', () => {
  for (const k of [1, 2]) {
    it(`k=${k}: no private input is optimized away, every private witness value is pinned, and snarkjs wtns check refuses a changed one`, async () => {
      const c = k === SHAPE.k ? circuit : await compileCircuit({ circuit: 'transfer-batch', ...SHAPE, k }, silentProgress());
      const g = await fundedLedger({ ...SHAPE, k });
      // k=1: a deposit (both input slots unused); k=2: a transfer and an unused slot.
      const plan = planBatches(g.crypto, g.ledger, g.params, [
        k === 1 ? { signed: g.intent(g.minter, g.carol.owner, 5n) } : { signed: g.intent(g.alice, g.bob.owner, 1200n) },
      ]);
      const input = plan.proofs[0]!.input;
      const wtns = await calculateWtns(readFileSync(c.wasm), input);

      const signals = mainSignals(c.sym);
      const missing = inputSignalNames(input).filter((n) => !(signals.get(n)! > 0));
      expect(missing).toEqual([]);

      const r1cs = readR1cs(c.r1cs);
      const witness = witnessValues(wtns);
      expect(failedConstraints(r1cs, witness)).toEqual([]);
      expect(unpinnedSignals(r1cs, witness)).toEqual([]);

      const dir = mkdtempSync(join(tmpdir(), 'drex-wtns-'));
      writeFileSync(join(dir, 'ok.wtns'), wtns);
      expect(await snarkjs.wtns.check(c.r1cs, join(dir, 'ok.wtns'), quiet)).toBe(true);
      const body = readBinSections(wtns, 'wtns', (p) => new Error(p)).get(2)!;
      for (const s of [r1cs.nPublic + 1, Math.floor(r1cs.nVars / 2), r1cs.nVars - 1]) {
        const bad = Uint8Array.from(wtns);
        const at = body.byteOffset + s * 32;
        bad[at] = (bad[at]! + 1) % 256;
        writeFileSync(join(dir, 'bad.wtns'), bad);
        expect(await snarkjs.wtns.check(c.r1cs, join(dir, 'bad.wtns'), quiet)).toBe(false);
      }
    }, 240_000);
  }
});
