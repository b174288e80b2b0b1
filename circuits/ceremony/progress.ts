/** A step-by-step progress reporter for long operations (ceremony, builds). */
export interface Progress {
  step(name: string): void;
  /** How far the named step is, as a fraction in [0, 1]. */
  update(name: string, fraction: number): void;
  done(name: string, ms: number): void;
  /** snarkjs-compatible logger (info/debug/warn/error). */
  logger: SnarkjsLogger;
}

export interface SnarkjsLogger {
  info(msg: string): void;
  debug(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Prints each step to stderr with elapsed time; snarkjs's own debug output is summarised, not echoed. */
export function stderrProgress(prefix = 'setup'): Progress {
  let last = 0;
  // snarkjs reports loop progress (info) and FFT sections (debug) often: print at most one line per 5 s.
  // Its loop messages end in "i/n": show them as a percentage of that loop.
  const throttled = (msg: string) => {
    const now = Date.now();
    if (now - last > 5000) {
      last = now;
      const m = /^(.*?)[:\s]+(\d+)\/(\d+)$/.exec(msg);
      const text = m ? `${m[1]}: ${Math.floor((100 * Number(m[2])) / Math.max(1, Number(m[3])))}%` : msg;
      process.stderr.write(`[${prefix}]   ${text}\n`);
    }
  };
  const logger: SnarkjsLogger = {
    info: throttled,
    debug: throttled,
    warn: (msg) => process.stderr.write(`[${prefix}] warning: ${msg}\n`),
    error: (msg) => process.stderr.write(`[${prefix}] error: ${msg}\n`),
  };
  const started = new Map<string, number>();
  let lastUpdate = 0;
  return {
    step: (name) => {
      started.set(name, Date.now());
      process.stderr.write(`[${prefix}] ${name} ...\n`);
    },
    update: (name, fraction) => {
      const now = Date.now();
      if (now - lastUpdate < 2000 || fraction >= 1) return;
      lastUpdate = now;
      const elapsed = now - (started.get(name) ?? now);
      process.stderr.write(`[${prefix}]   ${name}: ${formatProgress(fraction, elapsed)}\n`);
    },
    done: (name, ms) => process.stderr.write(`[${prefix}] ${name} done in ${(ms / 1000).toFixed(1)} s\n`),
    logger,
  };
}

/** "42%, about 1 min 5 s left" from the fraction done and the time spent so far. */
export function formatProgress(fraction: number, elapsedMs: number): string {
  const pct = `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`;
  if (fraction < 0.02 || elapsedMs < 1000) return pct;
  const left = Math.round((elapsedMs * (1 - fraction)) / fraction / 1000);
  const text = left >= 60 ? `${Math.floor(left / 60)} min ${left % 60} s` : `${left} s`;
  return `${pct}, about ${text} left`;
}

/** A reporter that says nothing (tests, library use). */
export function silentProgress(): Progress {
  const noop = () => {};
  return { step: noop, update: noop, done: noop, logger: { info: noop, debug: noop, warn: noop, error: noop } };
}

/** Runs `fn` as a named step and reports its duration. */
export async function timedStep<T>(progress: Progress, name: string, fn: () => Promise<T>): Promise<T> {
  progress.step(name);
  const t0 = Date.now();
  const out = await fn();
  progress.done(name, Date.now() - t0);
  return out;
}
