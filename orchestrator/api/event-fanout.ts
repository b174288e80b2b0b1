import type { Redis } from 'ioredis';
import type { Logger } from '../../swarm/log/logger.ts';
import type { BatchStore } from '../store/batch-store.ts';

interface Waiter {
  after: string;
  wake: () => void;
}

/** Orders Redis stream ids ('<ms>-<seq>'; '0' is before every entry). */
function compareStreamIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const d = BigInt(am!) - BigInt(bm!) || BigInt(as) - BigInt(bs);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/**
 * Wakes status watchers when their batch's event stream grows, over one Redis connection for the whole
 * process: a single loop blocks on every watched stream at once (XREAD over all of them) and wakes the
 * watchers of each stream that has a new entry; watchers then read their events themselves. A watcher
 * that arrives while the loop blocks interrupts it (CLIENT UNBLOCK) so that its stream is included.
 */
export class EventFanout {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private conn?: Redis;
  private connId?: number;
  private loop?: Promise<void>;
  private blockedOn = new Map<string, string>();
  /** Counts the loop's reads, so that an interrupt meant for one read never cuts the next. */
  private round = 0;
  private closed = false;

  constructor(private readonly o: { redis: Redis; store: BatchStore; log: Logger; blockMs?: number }) {}

  /**
   * Resolves when batch `id`'s event stream has an entry after `after` (a stream id, '0' for any), or
   * after `timeoutMs`, or when the fan-out closes. The caller reads the events itself.
   */
  wait(id: string, after: string, timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const set = this.waiters.get(id) ?? new Set<Waiter>();
      this.waiters.set(id, set);
      const w: Waiter = {
        after,
        wake: () => {
          clearTimeout(timer);
          set.delete(w);
          if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
          resolve();
        },
      };
      const timer = setTimeout(w.wake, timeoutMs);
      set.add(w);
      const blocked = this.blockedOn.get(id);
      if (this.loop && (blocked === undefined || compareStreamIds(after, blocked) < 0)) this.interrupt();
      this.loop ??= this.run().finally(() => (this.loop = undefined));
    });
  }

  /** Watchers waiting now. */
  size(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  /** Wakes every watcher and closes the shared connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.wake();
    this.conn?.disconnect();
    await this.loop;
  }

  /**
   * Cuts the read in progress short. The command travels on another connection than the read, so it can
   * overtake it; it is sent again shortly while the same read is still in progress.
   */
  private interrupt(): void {
    const round = this.round;
    const send = () => {
      if (this.connId !== undefined && this.round === round && this.blockedOn.size > 0) this.o.redis.client('UNBLOCK', this.connId).catch(() => {});
    };
    send();
    setTimeout(send, 25).unref();
  }

  private async connection(): Promise<Redis> {
    if (!this.conn) {
      this.conn = this.o.redis.duplicate({ connectionName: 'drex-watch-fanout' });
      this.conn.on('error', () => {}); // reconnects by itself; a failed read is retried by the loop
    }
    // The id changes when the connection is re-established (it is asked again after a failed read).
    this.connId ??= Number(await this.conn.client('ID'));
    return this.conn;
  }

  private async run(): Promise<void> {
    while (!this.closed && this.waiters.size > 0) {
      try {
        const conn = await this.connection();
        const cursors = new Map<string, string>();
        for (const [id, set] of this.waiters) {
          let min: string | undefined;
          for (const w of set) if (min === undefined || compareStreamIds(w.after, min) < 0) min = w.after;
          if (min !== undefined) cursors.set(id, min);
        }
        this.round++;
        this.blockedOn = cursors;
        const ready = await this.o.store.waitForEvents(conn, cursors, this.o.blockMs ?? 5_000);
        this.blockedOn = new Map();
        for (const id of ready) for (const w of [...(this.waiters.get(id) ?? [])]) w.wake();
      } catch (err) {
        this.blockedOn = new Map();
        this.connId = undefined;
        if (this.closed) return;
        this.o.log.warn('status fan-out read failed: retrying', { error: err });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
