import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type LocalRedis } from '../../cli/devnet/redis-process.ts';
import { createChainReader, startEmbeddedChain, type EmbeddedChain } from '../../ledger-bridge/index.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { chainCheck, leaderCheck, natsCheck, redisCheck } from './health-checks.ts';
import { healthProbe, type HealthReport } from './health-report.ts';
import { httpApp } from './http-app.ts';

const log = testLogger('health-checks-test');
let redisServer: LocalRedis;
let natsServer: TestNatsServer;
let chain: EmbeddedChain;
let redis: Redis;
let nc: NatsConnection;
let leading = true;
let app: ReturnType<typeof httpApp>;

beforeAll(async () => {
  [redisServer, natsServer, chain] = await Promise.all([startRedisServer(), startNatsServer(), startEmbeddedChain()]);
  // As the orchestrator connects: commands wait for a reconnect, NATS reconnects forever.
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  nc = await connect({ servers: natsServer.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const checks = [leaderCheck(() => leading), redisCheck(redis), natsCheck(nc), chainCheck(createChainReader({ url: chain.url, requestTimeoutMs: 1000 }))];
  app = httpApp({ registry: new Registry(), health: healthProbe(checks, { log }) });
});

afterAll(async () => {
  redis?.disconnect();
  await nc?.close();
  await Promise.all([redisServer?.stop(), natsServer?.stop(), chain?.stop()]);
});

/** GET /healthz: its status, body and how long it took. */
async function healthz(): Promise<{ status: number; body: HealthReport; ms: number }> {
  const t = Date.now();
  const res = await app.request('/healthz');
  return { status: res.status, body: (await res.json()) as HealthReport, ms: Date.now() - t };
}

describe('/healthz against real redis, nats and chain', () => {
  it('answers 200 when this orchestrator leads and redis, nats and the chain answer', async () => {
    const h = await healthz();
    expect(h.status).toBe(200);
    expect(h.body).toEqual({ status: 'ok', checks: { leader: true, redis: true, nats: true, chain: true } });
  });

  it('answers 503 naming the leader check on a standby', async () => {
    leading = false;
    try {
      const h = await healthz();
      expect(h.status).toBe(503);
      expect(h.body).toEqual({ status: 'unavailable', checks: { leader: false, redis: true, nats: true, chain: true } });
    } finally {
      leading = true;
    }
  });

  it('answers 503 naming the chain while its JSON-RPC endpoint is down, and 200 once it is back', async () => {
    await chain.stopHttp();
    const down = await healthz();
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ leader: true, redis: true, nats: true, chain: false });
    await chain.startHttp();
    expect((await healthz()).status).toBe(200);
  });

  it('answers 503 naming redis once the redis-server is stopped, within the check timeout', async () => {
    await redisServer.stop();
    const h = await healthz();
    expect(h.status).toBe(503);
    expect(h.body).toEqual({ status: 'unavailable', checks: { leader: true, redis: false, nats: true, chain: true } });
    expect(h.ms).toBeLessThan(2_000);
  });

  it('answers 503 naming nats once the nats-server is stopped, within the check timeout', async () => {
    await natsServer.stop();
    const h = await healthz();
    expect(h.status).toBe(503);
    expect(h.body.checks).toEqual({ leader: true, redis: false, nats: false, chain: true });
    expect(h.ms).toBeLessThan(2_000);
  });
});

describe('the health probe', () => {
  it('cuts a check that never answers after its timeout', async () => {
    const probe = healthProbe([leaderCheck(() => true), { name: 'chain', run: () => new Promise<void>(() => {}) }], { log, timeoutMs: 200 });
    const t = Date.now();
    expect(await probe()).toEqual({ status: 'unavailable', checks: { leader: true, chain: false } });
    expect(Date.now() - t).toBeLessThan(1_000);
  });
});
