import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import type { ChainReader } from '../../ledger-bridge/client.ts';
import { DrexError } from '../../protocol/errors.ts';

/** What `/healthz` checks, by name. */
export type HealthCheckName = 'leader' | 'redis' | 'nats' | 'chain';

/** One dependency check: resolves when it is healthy, throws a `HealthCheckFailed` (or any error) saying why not. */
export interface HealthCheck {
  name: HealthCheckName;
  run(): Promise<void>;
}

/** A dependency of the orchestrator is not usable right now. */
export class HealthCheckFailed extends DrexError {
  override name = 'HealthCheckFailed';
  readonly code = 'HEALTH_CHECK_FAILED';
  override readonly retryable = true;
  constructor(
    readonly check: HealthCheckName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${check}: ${message}`, options);
  }
}

/** This orchestrator holds the leader lease (a standby is not healthy: it serves no bank). */
export function leaderCheck(leading: () => boolean): HealthCheck {
  return {
    name: 'leader',
    run: async () => {
      if (!leading()) throw new HealthCheckFailed('leader', 'another orchestrator leads; this one stands by');
    },
  };
}

/**
 * Redis answers PING. A connection that is not ready fails at once (no PING is queued behind a
 * reconnect); a PING that does not come back is cut by the report's timeout.
 */
export function redisCheck(redis: Redis): HealthCheck {
  return {
    name: 'redis',
    run: async () => {
      if (redis.status !== 'ready') throw new HealthCheckFailed('redis', `the connection is ${redis.status}`);
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new HealthCheckFailed('redis', `PING answered ${JSON.stringify(pong)}`);
    },
  };
}

/** The NATS connection is open, connected (not reconnecting) and the server answers a round trip. */
export function natsCheck(nc: NatsConnection): HealthCheck {
  return {
    name: 'nats',
    run: async () => {
      if (nc.isClosed()) throw new HealthCheckFailed('nats', 'the connection is closed');
      if (nc.isDraining()) throw new HealthCheckFailed('nats', 'the connection is draining');
      try {
        await nc.rtt(); // throws at once while disconnected or reconnecting
      } catch (err) {
        throw new HealthCheckFailed('nats', 'the server does not answer (disconnected or reconnecting)', { cause: err });
      }
    },
  };
}

/**
 * The chain answers `eth_blockNumber` (asked directly, never from a client-side cache). Give it a
 * reader with a short request timeout and no retries, e.g. `createChainReader({ url, requestTimeoutMs: 1000 })`.
 */
export function chainCheck(chain: ChainReader): HealthCheck {
  return {
    name: 'chain',
    run: async () => {
      let block: unknown;
      try {
        block = await chain.public.request({ method: 'eth_blockNumber' });
      } catch (err) {
        throw new HealthCheckFailed('chain', `eth_blockNumber failed at ${chain.url}`, { cause: err });
      }
      if (typeof block !== 'string' || !/^0x[0-9a-f]+$/i.test(block)) throw new HealthCheckFailed('chain', `eth_blockNumber answered ${JSON.stringify(block)}`);
    },
  };
}
