import { z } from 'zod';
import { fieldString } from './messages/fields.ts';
import { TRANSFER_PUBLIC_INPUTS as IX } from './transfer-public-inputs.ts';

/**
 * The public state of the shielded ledger between two proofs: the note tree's root, its next free leaf,
 * and the nullifier set's state Poseidon(setRoot, setSize). The settlement contract holds exactly this.
 */
export interface ChainPoint {
  noteRoot: bigint;
  noteIndex: bigint;
  nullRoot: bigint;
}

/** A ChainPoint on the wire (decimal strings; the index a number). */
export const ledgerPointWire = z.object({ noteRoot: fieldString, noteIndex: z.number().int().min(0), nullRoot: fieldString });
export type LedgerPointWire = z.infer<typeof ledgerPointWire>;

/** Where a proof starts, from its 11 public inputs. */
export function pointBefore(publicInputs: readonly bigint[]): ChainPoint {
  return { noteRoot: publicInputs[IX.noteRootBefore]!, noteIndex: publicInputs[IX.noteIndex]!, nullRoot: publicInputs[IX.nullRootBefore]! };
}

/** Where a proof ends: each of its transfers appends a pair of notes. */
export function pointAfter(publicInputs: readonly bigint[]): ChainPoint {
  return {
    noteRoot: publicInputs[IX.noteRootAfter]!,
    noteIndex: publicInputs[IX.noteIndex]! + 2n * publicInputs[IX.transfers]!,
    nullRoot: publicInputs[IX.nullRootAfter]!,
  };
}

export function pointOfWire(w: LedgerPointWire): ChainPoint {
  return { noteRoot: BigInt(w.noteRoot), noteIndex: BigInt(w.noteIndex), nullRoot: BigInt(w.nullRoot) };
}

export function wireOfPoint(p: ChainPoint): LedgerPointWire {
  return { noteRoot: String(p.noteRoot), noteIndex: Number(p.noteIndex), nullRoot: String(p.nullRoot) };
}

export function samePoint(a: ChainPoint, b: ChainPoint): boolean {
  return a.noteRoot === b.noteRoot && a.noteIndex === b.noteIndex && a.nullRoot === b.nullRoot;
}

/** "root .. at leaf i, nullifiers ..": a point in a log line or an error. */
export function describePoint(p: ChainPoint): string {
  return `note root ${p.noteRoot} at leaf ${p.noteIndex}, nullifier state ${p.nullRoot}`;
}
