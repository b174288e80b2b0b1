import type { ResilientBatchApi } from './batch-api.ts';

/** A batch as GetBatch last reported it. */
export interface BatchView {
  batchId: string;
  /** State without the BATCH_STATE_ prefix; UNKNOWN until the orchestrator answered. */
  state: string;
  rootAfter: string;
  verified: number;
  proofs: number;
}

export const FINAL_STATES: ReadonlySet<string> = new Set(['SETTLED', 'FAILED']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follows batches by polling GetBatch, tolerating an orchestrator that is down or standing by (an error
 * just means "ask again"). A final batch is not asked again. Logs a line when a state changes (and, while
 * proving, at most every `progressEveryMs`).
 */
export class BatchTracker {
  private readonly views = new Map<string, BatchView>();
  private lastError = '';
  private lastLine = '';
  private lastStates = '';
  private lastLogged = 0;

  constructor(private readonly o: { api: ResilientBatchApi; log: (m: string) => void; pollMs?: number; progressEveryMs?: number }) {}

  /** Starts following a batch. */
  add(batchId: string): void {
    this.views.set(batchId, { batchId, state: 'UNKNOWN', rootAfter: '', verified: 0, proofs: 0 });
  }

  /** The batches in the order they were added. */
  get all(): BatchView[] {
    return [...this.views.values()];
  }

  get allFinal(): boolean {
    return this.all.every((v) => FINAL_STATES.has(v.state));
  }

  /** e.g. "SETTLED, PROVING 3/21, PLANNED" */
  summary(): string {
    return this.all.map((v) => `${v.state}${v.state === 'PROVING' ? ` ${v.verified}/${v.proofs}` : ''}`).join(', ');
  }

  /** Asks once for every batch not final yet. */
  async poll(): Promise<void> {
    for (const v of this.all) {
      if (FINAL_STATES.has(v.state)) continue;
      try {
        const b = await this.o.api.get(v.batchId);
        this.views.set(v.batchId, {
          batchId: v.batchId,
          state: String(b.state).replace('BATCH_STATE_', ''),
          rootAfter: String(b.root_after ?? ''),
          verified: Number(b.verified),
          proofs: Number(b.proofs ?? 0),
        });
        this.lastError = '';
      } catch (err) {
        const msg = (err as Error).message.slice(0, 120);
        if (msg !== this.lastError) this.o.log(`GetBatch ${v.batchId.slice(0, 10)}: ${msg} (asking again)`);
        this.lastError = msg;
      }
    }
    const states = this.all.map((v) => v.state).join(',');
    const line = this.summary();
    const due = Date.now() - this.lastLogged >= (this.o.progressEveryMs ?? 10_000);
    if (states !== this.lastStates || (line !== this.lastLine && due)) {
      this.o.log(`batches: ${line}`);
      this.lastLine = line;
      this.lastStates = states;
      this.lastLogged = Date.now();
    }
  }

  /**
   * Polls until every batch is final (or, given `until`, until it returns true), `deadline` passes, or
   * (given `stallMs`) no batch moved (state or verified count) for `stallMs`: a stalled batch is stuck.
   */
  async follow(o: { deadline: number; until?: () => boolean; stallMs?: number }): Promise<BatchView[]> {
    let seen = '';
    let movedAt = Date.now();
    for (;;) {
      await this.poll();
      const now = Date.now();
      const line = this.summary();
      if (line !== seen) {
        seen = line;
        movedAt = now;
      }
      const done = o.until ? o.until() : this.allFinal;
      if (done || now > o.deadline) return this.all;
      if (o.stallMs !== undefined && now - movedAt > o.stallMs) {
        this.o.log(`no batch moved for ${Math.round((now - movedAt) / 1000)} s: ${line}`);
        return this.all;
      }
      await sleep(this.o.pollMs ?? 1000);
    }
  }
}
