import type { Crypto } from './crypto.ts';
import { reject, TransferRejectedError } from './errors.ts';
import type { SignedIntent } from './intent.ts';
import { intentNullifier } from './intent.ts';
import type { PlacedNote } from './note.ts';
import type { LedgerState } from './ledger-state.ts';
import { buildTransferWitness, type TransferPolicy, type TransferWitness } from './transfer-witness.ts';

/** One intent to plan, optionally naming the notes (by commitment) it must spend. */
export interface PlanItem {
  signed: SignedIntent;
  spend?: readonly bigint[];
  /** Salts for the created notes; random when omitted. */
  outSalts?: readonly [bigint, bigint];
}

/** One planned transfer: its circuit inputs and public signals, in list order. */
export interface PlannedTransfer extends TransferWitness {
  index: number;
  spent: PlacedNote[];
}

/** A planned list of transfers and the chain of roots root_0 -> root_1 -> ... -> root_n. */
export interface TransferPlan {
  transfers: PlannedTransfer[];
  roots: bigint[];
}

/**
 * Chooses the notes that pay `amount`: the smallest single note that covers it, else the two largest.
 * Returns [] when the sender holds none (a deposit, for the minter).
 */
export function selectNotes(state: Pick<LedgerState, 'notesOf' | 'balanceOf'>, owner: bigint, asset: bigint, amount: bigint): PlacedNote[] {
  const notes = state.notesOf(owner, asset);
  if (notes.length === 0) return [];
  const single = [...notes].reverse().find((n) => n.amount >= amount);
  if (single) return [single];
  const pair = notes.slice(0, 2);
  const total = pair.reduce((s, n) => s + n.amount, 0n);
  if (total < amount) {
    const balance = state.balanceOf(owner, asset);
    reject(
      'INSUFFICIENT_FUNDS',
      balance >= amount
        ? `the sender's two largest notes hold ${total} < ${amount} (balance ${balance} is spread over ${notes.length} notes; consolidate first)`
        : `the sender holds ${balance} of asset ${asset}, the intent moves ${amount}`,
    );
  }
  return pair;
}

function resolveSpend(state: LedgerState, item: PlanItem): PlacedNote[] {
  const { intent } = item.signed;
  if (item.spend === undefined) return selectNotes(state, intent.sender, intent.asset, intent.amount);
  return item.spend.map((c) => {
    const n = state.note(c);
    if (!n) {
      if (state.tree.indexOf(c) >= 0) reject('NULLIFIER_REUSED', `note ${c} is already spent`);
      reject('NOTE_NOT_IN_TREE', `note ${c} is not an unspent note of the tree`);
    }
    return n;
  });
}

/**
 * Applies an ordered list of intents to `state`: for each, chooses or checks the spent notes, builds the
 * circuit inputs and appends the created notes, giving the chain of roots. The minter's intents without
 * notes to spend are deposits. All or nothing: on the first refused intent the state is left as it was
 * and a `TransferRejectedError` names the intent's index and the reason.
 */
export function planTransfers(crypto: Crypto, state: LedgerState, policy: TransferPolicy, items: readonly PlanItem[]): TransferPlan {
  const cp = state.checkpoint();
  const roots = [state.root];
  const transfers: PlannedTransfer[] = [];
  try {
    items.forEach((item, index) => {
      try {
        const { intent, auth } = item.signed;
        const inul = intentNullifier(crypto, auth.nk, intent.nonce);
        if (state.usedIntents.has(inul)) reject('INTENT_REPLAYED', `intent nonce ${intent.nonce} of this sender was already used`);
        const isMinterDeposit = intent.sender === policy.minter && item.spend === undefined && intent.recipient !== 0n;
        const spent = isMinterDeposit ? [] : resolveSpend(state, item);
        if (spent.length === 0 && intent.sender !== policy.minter && item.spend === undefined) {
          const balance = state.balanceOf(intent.sender, intent.asset);
          reject('INSUFFICIENT_FUNDS', `the sender holds ${balance} of asset ${intent.asset}, the intent moves ${intent.amount}`);
        }
        const w = buildTransferWitness(crypto, state.tree, policy, { signed: item.signed, inputs: spent, outSalts: item.outSalts });
        for (const nf of w.public.nullifiers) {
          if (state.spentNullifiers.has(nf)) reject('NULLIFIER_REUSED', `nullifier ${nf} is already spent`);
        }
        for (const n of spent) state.removeNote(n.commitment);
        for (const nf of w.public.nullifiers) state.spentNullifiers.add(nf);
        state.usedIntents.add(inul);
        state.tree.appendPair(w.public.commitments[0], w.public.commitments[1]);
        if (state.root !== w.public.rootAfter) throw new Error('internal: tree root disagrees with the witness root_after');
        for (const n of w.outputs) if (n.amount > 0n && n.owner !== 0n) state.addNote(n);
        transfers.push({ ...w, index, spent });
        roots.push(state.root);
      } catch (err) {
        if (err instanceof TransferRejectedError) throw err.at(index);
        throw err;
      }
    });
  } catch (err) {
    state.restore(cp);
    throw err;
  }
  return { transfers, roots };
}
