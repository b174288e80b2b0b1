import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { hex } from '../../protocol/messages/fields.ts';

/** The transfer a proof attempt belongs to: its id without the attempt (`<batch>.v<plan>.t<index>`). */
export function transferKeyOf(proofId: string): string {
  return proofId.replace(/\.a\d+$/, '');
}

const excludedV1 = z.object({ v: z.literal(1), workers: z.array(hex(32)).max(256) });

/**
 * Workers excluded from a transfer after the combiner found one of their halves wrong: in the splits
 * bucket under `x.<transfer>`, written by the combiner, read by the job gateway before it grants any half
 * of any later attempt of that transfer (so a re-issue, however early, never goes back to them).
 */
export class TransferExclusions {
  constructor(private readonly splits: KV) {}

  async add(proofId: string, workerId: string): Promise<void> {
    const key = `x.${transferKeyOf(proofId)}`;
    for (let tries = 0; tries < 8; tries++) {
      const e = await this.splits.get(key);
      const cur = e && e.operation === 'PUT' && e.length > 0 ? excludedV1.safeParse(e.json()) : null;
      const workers = cur?.success ? cur.data.workers : [];
      if (workers.includes(workerId)) return;
      const next = JSON.stringify({ v: 1, workers: [...workers, workerId].slice(-256) });
      try {
        if (!e) await this.splits.create(key, next);
        else await this.splits.update(key, next, e.revision);
        return;
      } catch {
        // Another replica wrote meanwhile: read again.
      }
    }
    throw new Error(`could not record the exclusion of ${workerId} from ${transferKeyOf(proofId)}`);
  }

  async has(proofId: string, workerId: string): Promise<boolean> {
    const e = await this.splits.get(`x.${transferKeyOf(proofId)}`);
    if (!e || e.operation !== 'PUT' || e.length === 0) return false;
    const p = excludedV1.safeParse(e.json());
    return p.success && p.data.workers.includes(workerId);
  }
}
