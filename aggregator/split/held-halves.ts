import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { halfJobId, heldHalfV1, type HeldHalfV1 } from '../../protocol/messages/half.ts';
import { verdictV1, type UnsignedVerdictV1 } from '../../protocol/messages/verdict.ts';

/**
 * The combiner's decision on one proof attempt (v1), kept in the halves bucket under the proof id: the
 * verdicts it reached, signed, and whether they were published. Once it exists, no other answer to
 * either half is judged: a redelivered or replayed half re-publishes the verdicts if they may not have
 * been published yet (de-duplicated by their message ids), and is dropped otherwise.
 */
export const splitDecisionV1 = z.object({
  v: z.literal(1),
  proofId: z.string().min(1).max(200),
  verdicts: z.array(verdictV1).min(1).max(2),
  published: z.boolean(),
  decidedMs: z.number().int().positive(),
});
export type SplitDecisionV1 = z.infer<typeof splitDecisionV1>;

/** A decision with the revision it was read or written at (for compare-and-set). */
export interface StoredDecision {
  decision: SplitDecisionV1;
  revision: number;
}

/**
 * Split proving's state in the halves KV bucket: each half's held answer (heldHalfV1, key = half job
 * id) until its sibling arrives, and each proof attempt's decision (key = proof id). Writes that decide
 * something are compare-and-set, so that intake replicas and redeliveries agree on one outcome.
 */
export class HeldHalves {
  constructor(private readonly kv: KV) {}

  /**
   * Holds `half` unless an answer to its half job is held already: answers the one held (`fresh` when
   * it is this one, held now). Safe when two replicas hold the same half at once.
   */
  async hold(half: HeldHalfV1): Promise<{ held: HeldHalfV1; fresh: boolean }> {
    const created = await this.createOnce(half.jobId, JSON.stringify(half));
    if (created !== null) return { held: half, fresh: true };
    // Unreadable (or deleted in between): taken as this one, held before.
    return { held: (await this.held(half.jobId)) ?? half, fresh: false };
  }

  /** The answer held for half job `jobId`, or null. */
  async held(jobId: string): Promise<HeldHalfV1 | null> {
    const e = await this.kv.get(jobId);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    const p = heldHalfV1.safeParse(safeJson(() => e.json()));
    return p.success ? p.data : null;
  }

  /** Both halves of `proofId` as held, in half order. */
  async both(proofId: string): Promise<[HeldHalfV1 | null, HeldHalfV1 | null]> {
    return Promise.all([this.held(halfJobId(proofId, 0)), this.held(halfJobId(proofId, 1))]);
  }

  /** The decision on `proofId`, or null when it is undecided. */
  async decision(proofId: string): Promise<StoredDecision | null> {
    const e = await this.kv.get(proofId);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    const p = splitDecisionV1.safeParse(safeJson(() => e.json()));
    return p.success ? { decision: p.data, revision: e.revision } : null;
  }

  /** Records `decision` if `proofId` is undecided: its revision, or null when another decision came first. */
  async decide(decision: SplitDecisionV1): Promise<number | null> {
    return this.createOnce(decision.proofId, JSON.stringify(decision));
  }

  /** Marks a decision published (a lost race with another marker changes nothing). */
  async markPublished(stored: StoredDecision): Promise<void> {
    if (stored.decision.published) return;
    await this.kv.update(stored.decision.proofId, JSON.stringify({ ...stored.decision, published: true }), stored.revision).catch(() => {});
  }

  /** Deletes both held halves of `proofId` (a re-issued transfer starts clean). */
  async release(proofId: string): Promise<void> {
    await Promise.all([this.kv.delete(halfJobId(proofId, 0)), this.kv.delete(halfJobId(proofId, 1))]);
  }

  /** Creates `key` if it has no value: the new revision, or null when it has one. */
  private async createOnce(key: string, value: string): Promise<number | null> {
    try {
      return await this.kv.create(key, value);
    } catch (err) {
      const e = await this.kv.get(key);
      if (e && e.operation === 'PUT') return null;
      throw err;
    }
  }
}

function safeJson(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The verdicts of a decision without their signatures (to be signed again by whoever publishes them). */
export function unsignedVerdicts(d: SplitDecisionV1): UnsignedVerdictV1[] {
  return d.verdicts.map(({ signer: _signer, signature: _signature, ...v }) => v as UnsignedVerdictV1);
}
