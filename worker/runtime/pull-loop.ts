import type { Logger } from '../../swarm/log/logger.ts';
import type { Delivery } from './delivery.ts';

export interface PullLoopOptions {
  /** Most jobs in hand at once (the prover pool's size). */
  concurrency: number;
  /** Takes up to `max` jobs (waiting a while for the first); throws when no gateway answers or it refuses. */
  take: (max: number) => Promise<Delivery[]>;
  /** Handles one delivery; must settle it (ack, nak or term). */
  handle: (d: Delivery) => Promise<void>;
  log: Logger;
  /** Pause after a failed take (default 1000 ms). */
  retryMs?: number;
}

/** A running pull loop. */
export interface PullLoop {
  /** Stops taking and resolves once the loop has exited; jobs in hand keep running. */
  stop(): Promise<void>;
  /** Settles when every job handed out so far has been handled (or handed back). */
  idle(): Promise<void>;
  inHand(): number;
}

/**
 * Takes jobs through the job gateway, never holding more than `concurrency`: each take asks for exactly
 * the free slots, and the next take waits until a slot frees up. Jobs granted after stop() (a take
 * still in flight) are nak'ed at once so another worker gets them.
 */
export function startPullLoop(o: PullLoopOptions): PullLoop {
  let stopped = false;
  const tasks = new Set<Promise<void>>();
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const slotFreed = () => new Promise<void>((resolve) => (wake = resolve));
  let onStop: () => void = () => {};
  const stopping = new Promise<null>((resolve) => (onStop = () => resolve(null)));
  const track = (task: Promise<void>) => {
    const t: Promise<void> = task.finally(() => {
      tasks.delete(t);
      notify();
    });
    tasks.add(t);
  };
  let failing = false;

  const loop = (async () => {
    while (!stopped) {
      const free = o.concurrency - tasks.size;
      if (free <= 0) {
        await Promise.race([slotFreed(), stopping]);
        continue;
      }
      const taking = o.take(free);
      let got: Delivery[] | null;
      try {
        got = await Promise.race([taking, stopping]);
        if (failing) o.log.info('taking jobs again');
        failing = false;
      } catch (err) {
        if (stopped) break;
        if (!failing) o.log.warn('taking jobs failed; retrying', { err: err as Error });
        failing = true;
        await Promise.race([new Promise((r) => setTimeout(r, o.retryMs ?? 1000)), stopping]);
        continue;
      }
      if (got === null) {
        // Stopped while a take was in flight: whatever it brings goes straight back.
        track(taking.then((ds) => ds.forEach((d) => d.nak())).catch(() => {}));
        break;
      }
      for (const d of got) {
        if (stopped) {
          d.nak();
          continue;
        }
        track(o.handle(d).catch((err: Error) => o.log.error('job handler failed', { err })));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      onStop();
      notify();
      await loop;
    },
    async idle() {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
    },
    inHand: () => tasks.size,
  };
}
