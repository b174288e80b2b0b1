import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as snarkjs from 'snarkjs';
import { ensureArtifacts, type Artifacts } from '../ceremony/setup.ts';
import { funded, ASSET, type Funded } from '../model/test-fixtures.ts';
import { buildTransferWitness, publicSignalsOf, type TransferSpec } from '../model/transfer-witness.ts';
import { planTransfers } from '../model/plan-transfers.ts';
import type { SignedIntent } from '../model/intent.ts';
import { noteCommitment } from '../model/note.ts';
import {
  calculateWitness,
  loadProverArtifacts,
  proveTransfer,
  verifyProof,
  WitnessError,
  type ProverArtifacts,
} from '../../worker/prover/groth16-prover.ts';

let artifacts: Artifacts;
let prover: ProverArtifacts;
let vkey: unknown;
let f: Funded;

beforeAll(async () => {
  artifacts = await ensureArtifacts();
  prover = loadProverArtifacts(artifacts);
  vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8'));
  f = await funded(artifacts.manifest.depth);
});

/** Builds inputs with every TypeScript check bypassed and returns the witness calculator's refusal. */
async function circuitRefusal(spec: TransferSpec, policy = f.policy): Promise<string> {
  const w = buildTransferWitness(f.crypto, f.state.tree, policy, spec, { unchecked: true });
  try {
    await calculateWitness(prover, w.input);
  } catch (err) {
    expect(err).toBeInstanceOf(WitnessError);
    return (err as Error).message;
  }
  throw new Error('the circuit accepted inputs it must refuse');
}

/** "Transfer_N line: L" for the line of the circuit source holding `snippet`: names the failing constraint. */
const SOURCE = readFileSync(new URL('./transfer.circom', import.meta.url), 'utf8').split('\n');
function atLine(snippet: string): RegExp {
  const line = SOURCE.findIndex((l) => l.includes(snippet)) + 1;
  if (line === 0) throw new Error(`snippet not in the circuit: ${snippet}`);
  return new RegExp(`Transfer_\\d+ line: ${line}\\b`);
}

const bobsNote = () => f.state.notesOf(f.bob.owner, ASSET)[0]!;

describe('transfer circuit (real witnesses and proofs)', () => {
  it('proves and verifies a valid transfer, and the proof does not verify with another transfer\'s signals', async () => {
    // A ledger of its own, so that the crafted cases below see bob's single 500 note.
    const g = await funded(artifacts.manifest.depth);
    const plan = planTransfers(g.crypto, g.state, g.policy, [
      { signed: g.intent(g.alice, g.bob.owner, 1200n) },
      { signed: g.intent(g.bob, g.carol.owner, 100n) },
    ]);
    const [first, second] = plan.transfers;
    const r = await proveTransfer(prover, first!.input);
    expect(r.publicSignals).toEqual(publicSignalsOf(first!.public));
    expect(await verifyProof(vkey, r.publicSignals, r.proof)).toBe(true);
    expect(await verifyProof(vkey, publicSignalsOf(second!.public), r.proof)).toBe(false);
    const oneChanged = [...r.publicSignals];
    oneChanged[2] = String(BigInt(oneChanged[2]!) + 1n); // a nullifier
    expect(await verifyProof(vkey, oneChanged, r.proof)).toBe(false);
  });

  it('refuses an overspend (change below zero fails its 64-bit range check)', async () => {
    const msg = await circuitRefusal({ signed: f.intent(f.bob, f.alice.owner, 600n), inputs: [bobsNote()] });
    expect(msg).toMatch(/Num2Bits/);
    expect(msg).toMatch(atLine('changeBits.in <== change'));
  });

  it('refuses amounts that do not balance', async () => {
    const msg = await circuitRefusal({ signed: f.intent(f.bob, f.alice.owner, 200n), inputs: [bobsNote()], change: 301n });
    expect(msg).toMatch(atLine('inAmount[0] + inAmount[1] + valueIn === amount + change'));
  });

  it('refuses an amount of 2^64 or more', async () => {
    const big = 1n << 64n;
    // Inputs that balance in the field: a deposit of 2^64 by the minter.
    const msg = await circuitRefusal({ signed: f.intent(f.minter, f.alice.owner, big), inputs: [] }, { ...f.policy, complianceLimit: (1n << 64n) - 1n });
    expect(msg).toMatch(atLine('amountBits.in <== amount'));
  });

  it('refuses an amount over the compliance limit', async () => {
    const msg = await circuitRefusal({ signed: f.intent(f.bob, f.alice.owner, 200n), inputs: [bobsNote()] }, { ...f.policy, complianceLimit: 199n });
    expect(msg).toMatch(atLine('withinLimit.out === 1'));
  });

  it('refuses a wrong signature', async () => {
    const good = f.intent(f.bob, f.alice.owner, 200n);
    const bad: SignedIntent = { ...good, signature: { ...good.signature, S: good.signature.S + 1n } };
    expect(await circuitRefusal({ signed: bad, inputs: [bobsNote()] })).toMatch(/EdDSAPoseidonVerifier_\d+ line/);
  });

  it('refuses a signature over a different intent', async () => {
    const signed = f.intent(f.bob, f.alice.owner, 200n);
    const other: SignedIntent = { ...signed, intent: { ...signed.intent, recipient: f.carol.owner } };
    expect(await circuitRefusal({ signed: other, inputs: [bobsNote()] })).toMatch(/EdDSAPoseidonVerifier_\d+ line/);
  });

  it('refuses a note that is not in the tree', async () => {
    const fake = { owner: f.bob.owner, amount: 5000n, asset: ASSET, salt: 99n, index: 2 };
    const placed = { ...fake, commitment: noteCommitment(f.crypto, fake) };
    expect(await circuitRefusal({ signed: f.intent(f.bob, f.alice.owner, 200n), inputs: [placed] })).toMatch(atLine('inRootCheck[k].in[1] <== rootBefore'));
  });

  it('refuses a wrong root_after', async () => {
    const msg = await circuitRefusal({ signed: f.intent(f.bob, f.alice.owner, 200n), inputs: [bobsNote()], expectedRootAfter: f.state.root });
    expect(msg).toMatch(atLine('filledRoot.root === rootAfter'));
  });

  it('refuses the same note spent twice in one transfer (equal nullifiers)', async () => {
    const msg = await circuitRefusal({ signed: f.intent(f.bob, f.alice.owner, 800n), inputs: [bobsNote(), bobsNote()] });
    expect(msg).toMatch(atLine('sameNullifier.out === 0'));
  });

  it('refuses a value balance from a non-minter intent', async () => {
    expect(await circuitRefusal({ signed: f.intent(f.bob, f.alice.owner, 10n), inputs: [] })).toMatch(atLine('(valueIn + valueOut) * (sender - minter) === 0'));
    expect(await circuitRefusal({ signed: f.intent(f.bob, 0n, 10n), inputs: [bobsNote()] })).toMatch(atLine('(valueIn + valueOut) * (sender - minter) === 0'));
  });

  it('a valid witness with one private signal changed fails wtns check against the R1CS', async () => {
    const w = buildTransferWitness(f.crypto, f.state.tree, f.policy, { signed: f.intent(f.bob, f.alice.owner, 200n), inputs: [bobsNote()] });
    const wtns = await calculateWitness(prover, w.input);
    const dir = mkdtempSync(join(tmpdir(), 'drex-wtns-'));
    const good = join(dir, 'good.wtns');
    writeFileSync(good, wtns);
    const logger = { info: () => {}, debug: () => {}, warn: () => {}, error: () => {} };
    expect(await snarkjs.wtns.check(artifacts.r1cs, good, logger)).toBe(true);
    // Find the private input main.amount in the symbol table and bump its value in the witness.
    const sym = readFileSync(artifacts.r1cs.replace(/\.r1cs$/, '.sym'), 'utf8');
    const line = sym.split('\n').find((l) => l.endsWith(',main.amount'));
    const varIdx = Number(line!.split(',')[1]);
    expect(varIdx).toBeGreaterThan(0);
    const bad = Buffer.from(wtns);
    const offset = witnessValueOffset(bad, varIdx);
    bad[offset] = (bad[offset]! + 1) & 0xff;
    const badPath = join(dir, 'bad.wtns');
    writeFileSync(badPath, bad);
    expect(await snarkjs.wtns.check(artifacts.r1cs, badPath, logger)).toBe(false);
  });
});

/** Byte offset of witness value `i` in a .wtns file (sections: 1 header, 2 values of n8 bytes each). */
function witnessValueOffset(buf: Buffer, i: number): number {
  let pos = 12; // "wtns", version, number of sections
  let n8 = 32;
  for (;;) {
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    const start = pos + 12;
    if (type === 1) n8 = buf.readUInt32LE(start);
    if (type === 2) return start + i * n8;
    pos = start + size;
  }
}
