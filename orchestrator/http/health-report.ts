import type { Logger } from '../../swarm/log/logger.ts';
import { HealthCheckFailed, type HealthCheck, type HealthCheckName } from './health-checks.ts';

/** What `/healthz` answers: ok only when every check passed. */
export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Partial<Record<HealthCheckName, boolean>>;
}

/** How long one check may take before it counts as failed. */
export const HEALTH_CHECK_TIMEOUT_MS = 1_000;

/** A check that did not answer in time. */
export class HealthCheckTimeout extends HealthCheckFailed {
  override name = 'HealthCheckTimeout';
  constructor(check: HealthCheckName, timeoutMs: number) {
    super(check, `no answer within ${timeoutMs} ms`);
  }
}

/** Settles with `run()`'s outcome, or rejects with a `HealthCheckTimeout` after `timeoutMs`. */
async function withTimeout(c: HealthCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HealthCheckTimeout(c.name, timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([c.run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A health probe over `checks`: runs them all in parallel, each cut after `timeoutMs`, so one probe
 * never takes much longer than that. Logs a check when it starts failing (with the reason) and when
 * it recovers, not on every probe.
 */
export function healthProbe(checks: readonly HealthCheck[], o: { log: Logger; timeoutMs?: number }): () => Promise<HealthReport> {
  const timeoutMs = o.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  const last = new Map<HealthCheckName, boolean>();
  return async () => {
    const outcomes = await Promise.allSettled(checks.map((c) => withTimeout(c, timeoutMs)));
    const report: HealthReport = { status: 'ok', checks: {} };
    outcomes.forEach((out, i) => {
      const name = checks[i]!.name;
      const ok = out.status === 'fulfilled';
      report.checks[name] = ok;
      if (!ok) report.status = 'unavailable';
      const before = last.get(name);
      last.set(name, ok);
      if (before === ok) return;
      if (out.status === 'rejected') o.log.warn('health check failing', { check: name, error: out.reason });
      else if (before === false) o.log.info('health check passing again', { check: name });
    });
    return report;
  };
}
