import type { Redis } from 'ioredis';

/** How long the witness stage's records of an attempt are kept (an attempt older than this is long re-issued). */
const KEEP_S = 7 * 24 * 3600;

/**
 * The witness stage's records in Redis (trusted storage, beside the plan itself): each proof attempt's
 * sharing seed (first writer wins, so a retried stage re-creates the same shares), the jobs-stream
 * positions of its two halves (housekeeping tells a queued half from a lost one by them), and the
 * attempts it refused.
 */
export class SplitBook {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** The seed of proof attempt `proofId`: `fresh` if none was stored yet, else the stored one. */
  async seed(proofId: string, fresh: Uint8Array): Promise<Uint8Array> {
    const key = `${this.prefix}split:seed:${proofId}`;
    await this.redis.set(key, Buffer.from(fresh).toString('hex'), 'EX', KEEP_S, 'NX');
    const hex = await this.redis.get(key);
    return hex ? new Uint8Array(Buffer.from(hex, 'hex')) : fresh;
  }

  /** Records where the halves of attempt `attempt` of transfer `index` sit in the jobs stream. */
  async recordHalfSeqs(batchId: string, index: number, attempt: number, seqs: [number, number]): Promise<void> {
    const key = `${this.prefix}split:seqs:${batchId}`;
    await this.redis.multi().hset(key, String(index), `${attempt}:${seqs[0]}:${seqs[1]}`).expire(key, KEEP_S).exec();
  }

  /** The jobs-stream positions of the halves of attempt `attempt` of transfer `index`, once both were published. */
  async halfSeqs(batchId: string, index: number, attempt: number): Promise<[number, number] | null> {
    const v = await this.redis.hget(`${this.prefix}split:seqs:${batchId}`, String(index));
    const [a, s0, s1] = (v ?? '').split(':').map(Number);
    return a === attempt && s0 && s1 ? [s0, s1] : null;
  }

  /** Records that the witness stage refused attempt `attempt` of transfer `index` (its inputs do not satisfy the circuit). */
  async recordRefused(batchId: string, index: number, attempt: number): Promise<void> {
    const key = `${this.prefix}split:seqs:${batchId}`;
    await this.redis.multi().hset(key, `${index}:refused`, String(attempt)).expire(key, KEEP_S).exec();
  }

  /** Whether the witness stage refused attempt `attempt` of transfer `index`. */
  async refused(batchId: string, index: number, attempt: number): Promise<boolean> {
    return (await this.redis.hget(`${this.prefix}split:seqs:${batchId}`, `${index}:refused`)) === String(attempt);
  }

  /** Forgets a batch's records (it is being pruned). */
  async forget(batchId: string): Promise<void> {
    await this.redis.del(`${this.prefix}split:seqs:${batchId}`);
  }
}
