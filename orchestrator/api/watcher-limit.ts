import { status } from '@grpc/grpc-js';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { ApiError } from './api-error.ts';

/** Counts the status watches each bank has open in this process and caps them. */
export class WatcherLimit {
  private readonly open = new Map<string, number>();

  constructor(readonly maxPerBank: number) {}

  /**
   * Takes a watch slot for `bankId`, or refuses (RESOURCE_EXHAUSTED, TOO_MANY_WATCHERS) when it holds
   * `maxPerBank`. Answers the release; releasing twice releases once.
   */
  acquire(bankId: string): () => void {
    const n = this.open.get(bankId) ?? 0;
    if (n >= this.maxPerBank) {
      throw new ApiError(status.RESOURCE_EXHAUSTED, ErrorCode.TOO_MANY_WATCHERS, `bank "${bankId}" already has ${n} watches open (at most ${this.maxPerBank}): close one first`);
    }
    this.open.set(bankId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(bankId) ?? 1) - 1;
      if (left > 0) this.open.set(bankId, left);
      else this.open.delete(bankId);
    };
  }

  /** Watches open now, all banks together. */
  total(): number {
    let n = 0;
    for (const v of this.open.values()) n += v;
    return n;
  }
}
