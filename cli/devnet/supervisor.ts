import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DrexError } from '../../protocol/errors.ts';

/** How a process ended: its exit code, or the signal that ended it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running process as the supervisor sees it (a `CliChild`, a nats-server, a redis-server). */
export interface SupervisedProcess {
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<ProcessExit>;
  /** Stops it when still running and releases what it holds; also called after an exit not asked for. */
  stop(): Promise<void>;
}

/** Starts (or restarts: `restarts` > 0) a supervised process and resolves once it is ready. */
export type StartFn<T extends SupervisedProcess> = (restarts: number) => Promise<T>;

/** A restart that happened. */
export interface Restart {
  name: string;
  /** The pid that exited, and how. */
  previousPid: number;
  exit: ProcessExit;
  /** The new process's pid. */
  pid: number;
  /** How many times this process has been restarted, this one included. */
  restarts: number;
}

export interface SupervisorOptions {
  /** Where pid files go: `<pidDir>/<name>.pid`. */
  pidDir: string;
  log?: (msg: string) => void;
  /** Delay before the first restart after a run that was not a quick crash (default 500 ms). */
  minBackoffMs?: number;
  /** Cap of the delay, which doubles on each quick crash or failed restart (default 10 s). */
  maxBackoffMs?: number;
  /** A process that exits less than this long after it became ready crashed quickly (default 10 s). */
  stableMs?: number;
}

/** A call the supervisor refuses: an unknown or duplicate name, or one made (or pending) when it stops. */
export class SupervisorError extends DrexError {
  override name = 'SupervisorError';
  readonly code = 'SUPERVISOR_REFUSED';
}

/** Raised by `nextRestart` when no restart happened in time. */
export class RestartTimeoutError extends DrexError {
  override name = 'RestartTimeoutError';
  readonly code = 'RESTART_TIMEOUT';
  override readonly retryable = true;
}

interface Entry {
  name: string;
  start: StartFn<SupervisedProcess>;
  current?: SupervisedProcess;
  readyAt: number;
  restarts: number;
  /** Quick crashes (and failed restarts) in a row: the backoff exponent. */
  quick: number;
  /** The watch loop; settles once the supervisor stops. */
  loop: Promise<void>;
  waiters: { resolve(r: Restart): void; reject(e: Error): void }[];
}

const describeExit = (e: ProcessExit) => (e.signal ? `signal ${e.signal}` : `code ${e.code}`);
const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/**
 * Keeps processes running: one that exits without `stop()` asking it to is started again with the same
 * start function after a backoff, and its pid file `<pidDir>/<name>.pid` is rewritten (atomically)
 * whenever it (re)starts and removed when it exits or is stopped.
 */
export class Supervisor {
  readonly pidDir: string;
  private readonly log: (msg: string) => void;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly stableMs: number;
  private readonly entries = new Map<string, Entry>();
  /** Pid files of processes recorded but not supervised (e.g. devnet itself). */
  private readonly recorded = new Map<string, number>();
  private stopping = false;
  private wake = () => {};
  private readonly stopped: Promise<void>;

  constructor(o: SupervisorOptions) {
    this.pidDir = o.pidDir;
    this.log = o.log ?? (() => {});
    this.minBackoffMs = o.minBackoffMs ?? 500;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.stableMs = o.stableMs ?? 10_000;
    this.stopped = new Promise((r) => (this.wake = r));
    mkdirSync(this.pidDir, { recursive: true });
  }

  /**
   * Starts `name` and supervises it from then on. Rejects (and supervises nothing) when this first start
   * fails: only a process that once ran is restarted.
   */
  async add<T extends SupervisedProcess>(name: string, start: StartFn<T>): Promise<T> {
    if (this.stopping) throw new SupervisorError(`cannot start ${name}: the supervisor is stopping`);
    if (this.entries.has(name) || this.recorded.has(name)) throw new SupervisorError(`${name} is already supervised`);
    const first = await start(0);
    if (this.stopping) {
      await first.stop();
      throw new SupervisorError(`${name} started while the supervisor was stopping`);
    }
    const e: Entry = { name, start, current: first, readyAt: Date.now(), restarts: 0, quick: 0, loop: Promise.resolve(), waiters: [] };
    this.entries.set(name, e);
    this.writePidFile(name, first.pid);
    e.loop = this.watch(e);
    return first;
  }

  /** Writes a pid file for a process that is not supervised (removed by `stop()`). */
  record(name: string, pid: number): void {
    if (this.entries.has(name)) throw new SupervisorError(`${name} is already supervised`);
    this.recorded.set(name, pid);
    this.writePidFile(name, pid);
  }

  /** The current pid of `name`; undefined while it is down (between an exit and its restart) or unknown. */
  pid(name: string): number | undefined {
    return this.entries.has(name) ? this.entries.get(name)!.current?.pid : this.recorded.get(name);
  }

  /** The running process of `name`, as its start function returned it. */
  current<T extends SupervisedProcess = SupervisedProcess>(name: string): T | undefined {
    return this.entries.get(name)?.current as T | undefined;
  }

  /** The pid file path of `name` (whether or not it exists). */
  pidFile(name: string): string {
    return join(this.pidDir, `${name}.pid`);
  }

  /** Pid file paths of every supervised or recorded process, by name. */
  pidFiles(): Record<string, string> {
    return Object.fromEntries([...this.entries.keys(), ...this.recorded.keys()].map((n) => [n, this.pidFile(n)]));
  }

  /** Resolves at the next restart of `name` (once the new process is ready); rejects after `timeoutMs`. */
  nextRestart(name: string, timeoutMs = 60_000): Promise<Restart> {
    const e = this.entries.get(name);
    if (!e) return Promise.reject(new SupervisorError(`${name} is not supervised`));
    if (this.stopping) return Promise.reject(new SupervisorError('the supervisor is stopping'));
    return new Promise<Restart>((resolve, reject) => {
      const w = {
        resolve: (r: Restart) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (err: Error) => {
          clearTimeout(t);
          reject(err);
        },
      };
      const t = setTimeout(() => {
        e.waiters.splice(e.waiters.indexOf(w), 1);
        reject(new RestartTimeoutError(`${name} was not restarted within ${timeoutMs} ms`));
      }, timeoutMs);
      e.waiters.push(w);
    });
  }

  /**
   * Stops every supervised process, last started first, without restarting any, waits for restarts in
   * flight to end (stopping what they started), and removes all pid files.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    for (const e of [...this.entries.values()].reverse()) {
      await e.current?.stop().catch((err: Error) => this.log(`stopping ${e.name}: ${err.message}`));
      await e.loop;
      this.removePidFile(e.name);
      for (const w of e.waiters.splice(0)) w.reject(new SupervisorError(`stopped before ${e.name} restarted`));
    }
    for (const n of this.recorded.keys()) this.removePidFile(n);
  }

  private async watch(e: Entry): Promise<void> {
    for (;;) {
      const old = e.current!;
      const exit = await old.exited;
      if (this.stopping) return;
      const ran = Date.now() - e.readyAt;
      e.current = undefined;
      this.removePidFile(e.name);
      await old.stop().catch(() => {});
      e.quick = ran < this.stableMs ? e.quick + 1 : 0;
      let delay = this.backoff(e);
      this.log(`${e.name} (pid ${old.pid}) exited unexpectedly (${describeExit(exit)}) after ${duration(ran)}; restarting in ${duration(delay)}`);
      let next: SupervisedProcess | undefined;
      while (!next) {
        await this.sleep(delay);
        if (this.stopping) return;
        try {
          next = await e.start(e.restarts + 1);
        } catch (err) {
          if (this.stopping) return;
          e.quick++;
          delay = this.backoff(e);
          this.log(`restart of ${e.name} failed: ${(err as Error).message}; retrying in ${duration(delay)}`);
        }
      }
      if (this.stopping) {
        await next.stop().catch(() => {});
        return;
      }
      e.current = next;
      e.readyAt = Date.now();
      e.restarts++;
      this.writePidFile(e.name, next.pid);
      this.log(`restarted ${e.name}: pid ${next.pid} (was ${old.pid}, ${describeExit(exit)}), restart #${e.restarts}`);
      const r: Restart = { name: e.name, previousPid: old.pid, exit, pid: next.pid, restarts: e.restarts };
      for (const w of e.waiters.splice(0)) w.resolve(r);
    }
  }

  /** minBackoffMs after a run that was not a quick crash, doubling with each quick crash in a row, capped. */
  private backoff(e: Entry): number {
    return Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.max(0, e.quick - 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      void this.stopped.then(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private writePidFile(name: string, pid: number): void {
    const file = this.pidFile(name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${pid}\n`);
    renameSync(tmp, file);
  }

  private removePidFile(name: string): void {
    rmSync(this.pidFile(name), { force: true });
  }
}
