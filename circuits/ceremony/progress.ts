/** A step-by-step progress reporter for long operations (ceremony, builds). */
export interface Progress {
  step(name: string): void;
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
  const throttled = (msg: string) => {
    const now = Date.now();
    if (now - last > 5000) {
      last = now;
      process.stderr.write(`[${prefix}]   ${msg}\n`);
    }
  };
  const logger: SnarkjsLogger = {
    info: throttled,
    debug: throttled,
    warn: (msg) => process.stderr.write(`[${prefix}] warning: ${msg}\n`),
    error: (msg) => process.stderr.write(`[${prefix}] error: ${msg}\n`),
  };
  return {
    step: (name) => process.stderr.write(`[${prefix}] ${name} ...\n`),
    done: (name, ms) => process.stderr.write(`[${prefix}] ${name} done in ${(ms / 1000).toFixed(1)} s\n`),
    logger,
  };
}

/** A reporter that says nothing (tests, library use). */
export function silentProgress(): Progress {
  const noop = () => {};
  return { step: noop, done: noop, logger: { info: noop, debug: noop, warn: noop, error: noop } };
}

/** Runs `fn` as a named step and reports its duration. */
export async function timedStep<T>(progress: Progress, name: string, fn: () => Promise<T>): Promise<T> {
  progress.step(name);
  const t0 = Date.now();
  const out = await fn();
  progress.done(name, Date.now() - t0);
  return out;
}
