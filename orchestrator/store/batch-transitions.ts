import { FencedOffError } from './errors.ts';
import type { BatchStateName } from './batch-states.ts';

/**
 * The transition table: every change of a batch record is one of these, allowed only from the listed
 * states (and, where the caller names one, only for the current plan version). `to: null` appends a
 * status event without changing the state.
 */
export const TRANSITIONS = {
  /** The planner applied the batch to the note tree. */
  plan: { from: ['ACCEPTED'], to: 'PLANNED' },
  /** An earlier batch failed: planned again on the state before it. */
  replan: { from: ['PLANNED', 'PROVING', 'VERIFIED'], to: 'PLANNED' },
  /** The planner refused a transfer: nothing of the batch was applied. */
  refusePlanning: { from: ['ACCEPTED'], to: 'FAILED' },
  /** Its jobs were published. */
  dispatch: { from: ['PLANNED'], to: 'PROVING' },
  /** One more verified proof (the last one makes it VERIFIED). */
  acceptProof: { from: ['PROVING'], to: 'PROVING' },
  /** A job was published again. */
  reissue: { from: ['PROVING'], to: null },
  /** Batch verification found bad proofs: they are proved again. */
  reprove: { from: ['VERIFIED'], to: 'PROVING' },
  /** Handed to the settler. */
  handOver: { from: ['VERIFIED'], to: null },
  /** The ledger holds it. */
  settle: { from: ['VERIFIED'], to: 'SETTLED' },
  /** It can never complete (proving exhausted, settlement refused). */
  fail: { from: ['PLANNED', 'PROVING', 'VERIFIED'], to: 'FAILED' },
} as const satisfies Record<string, { from: readonly BatchStateName[]; to: BatchStateName | null }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** What a transition did: applied (with the event's sequence number), or refused and why. */
export type TransitionResult =
  | { ok: true; seq: number }
  | { ok: false; refused: 'missing' | 'replan-pending' | 'open-changed' }
  | { ok: false; refused: 'state' | 'version'; state: BatchStateName; planVersion: number };

/** What recording a verified proof did. */
export type AcceptProofResult =
  | { ok: true; seq: number; verified: number; complete: boolean }
  | Extract<TransitionResult, { ok: false }>
  | { ok: false; refused: 'duplicate' };

/**
 * Decodes a script's answer: {'OK', seq, ...} | {'MISSING'} | {'STATE'|'VERSION', state, version} | {'DUPLICATE'};
 * {'FENCED'} (the writer is not the current leader) throws `FencedOffError`.
 */
export function decodeTransition(out: (string | number)[]): TransitionResult | { ok: false; refused: 'duplicate' } {
  switch (out[0]) {
    case 'OK':
      return { ok: true, seq: Number(out[1]) };
    case 'MISSING':
      return { ok: false, refused: 'missing' };
    case 'FENCED':
      throw new FencedOffError();
    case 'DUPLICATE':
      return { ok: false, refused: 'duplicate' };
    case 'REPLAN_PENDING':
      return { ok: false, refused: 'replan-pending' };
    case 'OPEN_CHANGED':
      return { ok: false, refused: 'open-changed' };
    case 'STATE':
    case 'VERSION':
      return { ok: false, refused: out[0] === 'STATE' ? 'state' : 'version', state: String(out[1]) as BatchStateName, planVersion: Number(out[2]) };
    default:
      throw new Error(`unexpected answer from a batch transition script: ${JSON.stringify(out)}`);
  }
}
