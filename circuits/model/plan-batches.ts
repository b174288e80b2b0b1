import type { Crypto } from './crypto.ts';
import { reject, TransferRejectedError } from './errors.ts';
import type { PlacedNote } from './note.ts';
import type { TransferPolicy } from './policy.ts';
import { batchWitness, type BatchWitness } from './batch-witness.ts';
import type { SignedIntent } from './intent.ts';
import type { LedgerPoint, Ledger } from './ledger.ts';
import { applyTransfer, type AppliedTransfer } from './transfer-slot.ts';

/** What every proof of a plan shares: transfers per proof, the tree depths, the policy and the domain. */
export interface BatchParams {
  k: number;
  depth: number;
  nullDepth: number;
  policy: TransferPolicy;
  domain: bigint;
}

/** One intent to plan, optionally naming the notes (by commitment) it must spend. */
export interface PlanItem {
  signed: SignedIntent;
  spend?: readonly bigint[];
}

/** One planned proof: its inputs and public signals, and the intents (list indices) it carries. */
export interface PlannedProof extends BatchWitness {
  index: number;
  transfers: { index: number; spent: PlacedNote[]; outputs: [PlacedNote, PlacedNote] }[];
}

/** A planned list of intents in proofs of k, and the ledger points between them (points[0] = start). */
export interface BatchPlan {
  proofs: PlannedProof[];
  points: LedgerPoint[];
}

/**
 * Chooses the notes that pay `amount`: the smallest single note that covers it, else the two largest.
 * Returns [] when the sender holds none.
 */
export function selectNotes(ledger: Pick<Ledger, 'notesOf' | 'balanceOf'>, owner: bigint, asset: bigint, amount: bigint): PlacedNote[] {
  const notes = ledger.notesOf(owner, asset);
  if (notes.length === 0) return [];
  const single = [...notes].reverse().find((n) => n.amount >= amount);
  if (single) return [single];
  const pair = notes.slice(0, 2);
  const total = pair.reduce((s, n) => s + n.amount, 0n);
  if (total < amount) {
    const balance = ledger.balanceOf(owner, asset);
    reject(
      'INSUFFICIENT_FUNDS',
      balance >= amount
        ? `the sender's two largest notes hold ${total} < ${amount} (balance ${balance} is spread over ${notes.length} notes; consolidate first)`
        : `the sender holds ${balance} of asset ${asset}, the intent moves ${amount}`,
    );
  }
  return pair;
}

function resolveSpend(ledger: Ledger, item: PlanItem): PlacedNote[] {
  const { intent } = item.signed;
  if (intent.kind === 'deposit') return [];
  if (item.spend === undefined) {
    const notes = selectNotes(ledger, intent.sender, intent.asset, intent.amount);
    if (notes.length === 0) reject('INSUFFICIENT_FUNDS', `the sender holds 0 of asset ${intent.asset}, the intent moves ${intent.amount}`);
    return notes;
  }
  return item.spend.map((c) => {
    const n = ledger.note(c);
    if (!n) {
      if (ledger.tree.indexOf(c) >= 0) reject('NULLIFIER_REUSED', `note ${c} is already spent`);
      reject('NOTE_NOT_IN_TREE', `note ${c} is not an unspent note of the tree`);
    }
    return n;
  });
}

/**
 * Applies an ordered list of intents to `ledger`, k per proof (the last proof may hold fewer): chooses
 * or checks each intent's notes, builds every proof's inputs and moves the ledger. All or nothing: on the
 * first refused intent the ledger is left as it was and a `TransferRejectedError` names its index.
 */
export function planBatches(crypto: Crypto, ledger: Ledger, params: BatchParams, items: readonly PlanItem[]): BatchPlan {
  if (!Number.isInteger(params.k) || params.k < 1) throw new RangeError(`transfers per proof must be >= 1, got ${params.k}`);
  if (ledger.tree.depth !== params.depth || ledger.nullifiers.depth !== params.nullDepth) {
    throw new RangeError(`the ledger's depths (${ledger.tree.depth}, ${ledger.nullifiers.depth}) are not the circuit's (${params.depth}, ${params.nullDepth})`);
  }
  const cp = ledger.checkpoint();
  const points = [ledger.point];
  const proofs: PlannedProof[] = [];
  try {
    for (let start = 0; start < items.length; start += params.k) {
      const before = ledger.point;
      const applied: AppliedTransfer[] = [];
      items.slice(start, start + params.k).forEach((item, j) => {
        const index = start + j;
        try {
          if (item.signed.domain !== params.domain) reject('BAD_SIGNATURE', `the intent is signed for domain ${item.signed.domain}, not this ledger's ${params.domain}`);
          const a = applyTransfer(crypto, ledger, params.policy, item.signed, resolveSpend(ledger, item));
          for (const n of a.spent) ledger.removeNote(n.commitment);
          for (const n of a.outputs) if (n.amount > 0n && n.owner !== 0n) ledger.addNote(n);
          applied.push(a);
        } catch (err) {
          if (err instanceof TransferRejectedError) throw err.at(index);
          throw err;
        }
      });
      const w = batchWitness(params, before, ledger.point, applied);
      proofs.push({
        ...w,
        index: proofs.length,
        transfers: applied.map((a, j) => ({ index: start + j, spent: a.spent, outputs: a.outputs })),
      });
      points.push(ledger.point);
    }
  } catch (err) {
    ledger.restore(cp);
    throw err;
  }
  return { proofs, points };
}
