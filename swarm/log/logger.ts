/** Structured JSON logging: one object per line on stderr, with ts, level, component and msg. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function serialize(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
  return v;
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
    for (const [k, v] of Object.entries(fields ?? {})) line[k] = serialize(v);
    sink.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(component, { ...base, ...fields }, sink),
  };
}
