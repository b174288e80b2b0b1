/**
 * The browser worker's logger: structured lines to the console and to the page's activity list. The
 * runtime never logs a share or a witness value, so nothing private reaches either.
 */
import type { Logger, LogLevel } from '../../../swarm/log/logger.ts';

/** One line as the page shows it. */
export interface PageLogLine {
  ts: number;
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger calling `onLine` for every line (debug lines go to the console only). */
export function pageLogger(onLine: (line: PageLogLine) => void, base: Record<string, unknown> = {}): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const all = { ...base, ...fields };
    const out = level === 'error' ? console.error : level === 'warn' ? console.warn : console.log;
    out(`[drex-worker] ${msg}`, all);
    if (level !== 'debug') onLine({ ts: Date.now(), level, msg, fields: all });
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => pageLogger(onLine, { ...base, ...fields }),
  };
}
