import { z } from 'zod';
import { DrexError } from '../../protocol/errors.ts';

/**
 * Hybrid logical clocks (Kulkarni et al., 2014): a timestamp is the greatest wall time (ms) a node has
 * seen, a logical counter that orders events within one millisecond, and the node's id, which makes
 * the order total (two nodes never share a timestamp).
 */
export interface Hlc {
  wallMs: number;
  counter: number;
  node: string;
}

/** The greatest logical counter; a clock that would pass it refuses to tick (see HlcCounterOverflowError). */
export const MAX_HLC_COUNTER = 0xffff_ffff;

/** The schema of an HLC's wall time and counter (the node id is the caller's to bound). */
export const hlcTime = {
  wallMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  counter: z.number().int().min(0).max(MAX_HLC_COUNTER),
};

/** A remote clock is further ahead of the local wall clock than the skew bound allows. */
export class ClockSkewError extends DrexError {
  override name = 'ClockSkewError';
  readonly code = 'CLOCK_SKEW';
  constructor(readonly remoteWallMs: number, readonly localWallMs: number, readonly maxSkewMs: number) {
    super(`a remote clock reads ${remoteWallMs - localWallMs} ms ahead of the local wall clock, more than the ${maxSkewMs} ms allowed: check the NTP sync of both hosts`);
  }
}

/** The logical counter would pass MAX_HLC_COUNTER within one millisecond (a runaway remote clock or a stuck wall clock). */
export class HlcCounterOverflowError extends DrexError {
  override name = 'HlcCounterOverflowError';
  readonly code = 'HLC_COUNTER_OVERFLOW';
  constructor(wallMs: number) {
    super(`the hybrid logical clock's counter is exhausted at wall time ${wallMs}: the wall clock is not advancing`);
  }
}

/** Options of a clock that cannot be built. */
export class HlcOptionsError extends DrexError {
  override name = 'HlcOptionsError';
  readonly code = 'HLC_OPTIONS_INVALID';
}

/** Negative when `a` is before `b`, positive when after, 0 only for the same timestamp of the same node. */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** True when `remote` reads more than `maxSkewMs` ahead of `localWallMs`. */
export function isBeyondSkew(remoteWallMs: number, localWallMs: number, maxSkewMs: number): boolean {
  return remoteWallMs - localWallMs > maxSkewMs;
}

export interface HybridClockOptions {
  /** How far (ms) a remote clock may read ahead of the local wall clock before it is refused. */
  maxSkewMs: number;
  /** The wall clock in epoch ms (defaults to Date.now). */
  wallClock?: () => number;
  /** The greatest timestamp this node issued before (after a restart), so that it never issues a smaller one. */
  last?: Hlc;
}

/** One node's hybrid logical clock: every timestamp it returns is greater than every one it returned or received. */
export class HybridClock {
  private wallMs = 0;
  private counter = 0;
  private readonly maxSkewMs: number;
  private readonly wallClock: () => number;

  constructor(readonly node: string, options: HybridClockOptions) {
    if (node.length === 0) throw new HlcOptionsError('a clock needs a node id');
    if (!Number.isSafeInteger(options.maxSkewMs) || options.maxSkewMs < 0) throw new HlcOptionsError(`maxSkewMs must be a non-negative integer, got ${options.maxSkewMs}`);
    this.maxSkewMs = options.maxSkewMs;
    this.wallClock = options.wallClock ?? Date.now;
    if (options.last) {
      this.wallMs = options.last.wallMs;
      this.counter = options.last.counter;
    }
  }

  /** A timestamp for a local event (sending an entry). */
  now(): Hlc {
    const pt = this.physical();
    if (pt > this.wallMs) this.set(pt, 0);
    else this.set(this.wallMs, this.counter + 1);
    return this.current();
  }

  /**
   * Takes in a timestamp received from another node and returns one after both; refuses (ClockSkewError)
   * a remote clock more than maxSkewMs ahead of the local wall clock, leaving this clock unchanged.
   */
  receive(remote: Hlc): Hlc {
    const pt = this.physical();
    if (isBeyondSkew(remote.wallMs, pt, this.maxSkewMs)) throw new ClockSkewError(remote.wallMs, pt, this.maxSkewMs);
    const l = Math.max(this.wallMs, remote.wallMs, pt);
    if (l === this.wallMs && l === remote.wallMs) this.set(l, Math.max(this.counter, remote.counter) + 1);
    else if (l === this.wallMs) this.set(l, this.counter + 1);
    else if (l === remote.wallMs) this.set(l, remote.counter + 1);
    else this.set(l, 0);
    return this.current();
  }

  /** The last timestamp issued (without ticking). */
  current(): Hlc {
    return { wallMs: this.wallMs, counter: this.counter, node: this.node };
  }

  private physical(): number {
    return Math.floor(this.wallClock());
  }

  private set(wallMs: number, counter: number): void {
    if (counter > MAX_HLC_COUNTER) throw new HlcCounterOverflowError(wallMs);
    this.wallMs = wallMs;
    this.counter = counter;
  }
}
