import { describe, expect, it } from 'vitest';
import { ownerChoices, workerPageConfig } from './page-config.ts';

describe('ownerChoices', () => {
  it('defaults to half the cores (1..4 threads) and auto backend', () => {
    expect(ownerChoices('', 8)).toEqual({ threads: 4, backend: 'auto' });
    expect(ownerChoices('', 1)).toEqual({ threads: 1, backend: 'auto' });
    expect(ownerChoices('?operator=alice.lab&threads=3&backend=wasm', 8)).toEqual({ operator: 'alice.lab', threads: 3, backend: 'wasm' });
  });

  it('names the parameter that is not valid', () => {
    expect(ownerChoices('?operator=Alice!', 4)).toEqual({ error: expect.stringMatching(/^operator:/) });
    expect(ownerChoices('?threads=0', 4)).toEqual({ error: expect.stringMatching(/^threads:/) });
    expect(ownerChoices('?threads=2.5', 4)).toEqual({ error: expect.stringMatching(/^threads:/) });
    expect(ownerChoices('?backend=cuda', 4)).toEqual({ error: expect.stringMatching(/^backend:/) });
  });
});

describe('workerPageConfig', () => {
  it('takes a deployment and a ws:// or wss:// URL only', () => {
    expect(workerPageConfig.safeParse({ deployment: 'dev', natsWsUrl: 'wss://nats.example:443' }).success).toBe(true);
    expect(workerPageConfig.safeParse({ deployment: 'dev', natsWsUrl: 'nats://127.0.0.1:4222' }).success).toBe(false);
    expect(workerPageConfig.safeParse({ natsWsUrl: 'ws://127.0.0.1:1' }).success).toBe(false);
  });
});
