import { setTimeout as sleep } from 'node:timers/promises';
import { BaseError, HttpRequestError, RpcRequestError, SocketClosedError, TimeoutError } from 'viem';
import { ChainUnavailableError } from './errors.ts';

/** Exponential backoff for transient chain errors (connection refused, reset, timeout). */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, initialDelayMs: 200, maxDelayMs: 5_000 };

const TRANSIENT = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|other side closed/i;

/** True for errors of the transport (the node was not reached or did not answer), not of the node. */
export function isNetworkError(err: unknown): boolean {
  if (err instanceof BaseError) {
    if (err.walk((e) => e instanceof RpcRequestError)) return false;
    if (err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof SocketClosedError)) {
      const http = err.walk((e) => e instanceof HttpRequestError) as HttpRequestError | null;
      // An HTTP status from a proxy in front of the node (502/503/504) is transient too; a 4xx is not.
      return !http?.status || http.status >= 500;
    }
  }
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && TRANSIENT.test(code)) return true;
    if (typeof message === 'string' && TRANSIENT.test(message)) return true;
  }
  return false;
}

/** Delay before retry number `attempt` (1-based): initial * 2^(attempt-1), capped, with +-20% jitter. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}

/**
 * Runs `fn`, retrying network errors with backoff; any other error is thrown at once. After the last
 * attempt a `ChainUnavailableError` names what was being done.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY, onRetry?: (attempt: number, err: unknown) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isNetworkError(err)) throw err;
      if (attempt >= policy.attempts) {
        throw new ChainUnavailableError(`${what}: the chain did not answer after ${attempt} attempts (${(err as Error).message.split('\n')[0]})`, { cause: err });
      }
      onRetry?.(attempt, err);
      await sleep(backoffMs(policy, attempt));
    }
  }
}
