import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../../swarm/log/logger.ts';

export interface PullLoopOptions {
  /** Most jobs in hand at once (the prover pool's size). */
  concurrency: number;
  /** How long one pull request waits on the server for messages. */
  expiresMs: number;
  /** Handles one message; must settle it (ack, nak or term). */
  handle: (msg: JsMsg) => Promise<void>;
  log: Logger;
}

/** A running pull loop. */
export interface PullLoop {
  /** Stops pulling (the open pull request is closed) and resolves once the loop has exited; jobs in hand keep running. */
  stop(): Promise<void>;
  /** Settles when every job handed out so far has been handled. */
  idle(): Promise<void>;
  inHand(): number;
}

/**
 * Pulls from `consumer` with explicit ack, never holding more than `concurrency` jobs: each pull asks
 * for exactly the free slots, and the next pull waits until a slot frees up. A message that arrives
 * after stop() is nak'ed at once so another worker gets it.
 */
export function startPullLoop(consumer: Consumer, o: PullLoopOptions): PullLoop {
  let stopped = false;
  let current: ConsumerMessages | null = null;
  const tasks = new Set<Promise<void>>();
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const slotFreed = () => new Promise<void>((resolve) => (wake = resolve));

  const loop = (async () => {
    while (!stopped) {
      const free = o.concurrency - tasks.size;
      if (free <= 0) {
        await slotFreed();
        continue;
      }
      try {
        current = await consumer.fetch({ max_messages: free, expires: o.expiresMs });
        if (stopped) await current.close();
        for await (const msg of current) {
          if (stopped) {
            msg.nak();
            continue;
          }
          const task: Promise<void> = o
            .handle(msg)
            .catch((err: Error) => o.log.error('job handler failed', { err }))
            .finally(() => {
              tasks.delete(task);
              notify();
            });
          tasks.add(task);
        }
      } catch (err) {
        if (stopped) break;
        o.log.warn('pull request failed; retrying', { err: err as Error });
        await Promise.race([new Promise((r) => setTimeout(r, 1000)), slotFreed()]);
      } finally {
        current = null;
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      notify();
      await current?.close();
      await loop;
    },
    async idle() {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
    },
    inHand: () => tasks.size,
  };
}
