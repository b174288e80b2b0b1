import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type LocalRedis } from '../../cli/devnet/redis-process.ts';

/**
 * A fresh redis-server for one test file: started before its tests, stopped after them. Answers a
 * getter of the client (connected once the file's tests run).
 */
export function useRedisServer(): () => Redis {
  let server: LocalRedis | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  return () => {
    if (!redis) throw new Error('redis is used before the tests run');
    return redis;
  };
}
