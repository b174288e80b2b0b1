/** Structured JSON logging: one object per line on stderr, with ts, level, component and msg. */
import { serializeError } from './serialize-error.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON.stringify's replacer: bigints as decimal text, Errors (at any depth) with their stack and causes. */
function replace(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return serializeError(v);
  return v;
}

/** One log line as JSON; fields that cannot be written (a cyclic object) are replaced by a note, never thrown. */
function toLine(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line, replace);
  } catch (err) {
    const { ts, level, component, msg } = line;
    return JSON.stringify({ ts, level, component, msg, logError: `fields not written: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** Where log lines go (default: stderr). */
export interface LogSink {
  write(line: string): unknown;
}

/**
 * A logger for `component`; level from DREX_LOG_LEVEL (default info); DREX_LOG_LEVEL=silent mutes it.
 * Lines go to `sink` (default stderr), e.g. a file stream in tests.
 */
export function createLogger(component: string, base: Record<string, unknown> = {}, sink: LogSink = process.stderr): Logger {
  const env = process.env.DREX_LOG_LEVEL ?? 'info';
  const min = env === 'silent' ? Infinity : (ORDER[env as LogLevel] ?? ORDER.info);
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const line: Record<string, unknown> = { ts: new Date().toISOString(), level, component, msg, ...base };
    for (const [k, v] of Object.entries(fields ?? {})) line[k] = v;
    sink.write(`${toLine(line)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(component, { ...base, ...fields }, sink),
  };
}
