/**
 * The browser worker end to end: a devnet with no Node worker, two worker pages in headless Chromium
 * (two contexts: two devices with keys of their own), and the genesis batch proved by them in split
 * halves and settled on the embedded chain. Screenshots go to .tmp/test-artifacts/browser-workers/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { BankClient } from '../../cli/bank/bank-client.ts';
import { genesisIntents } from '../../cli/bank/sample-intents.ts';
import { CLI_ENTRY } from '../../cli/devnet/child-process.ts';
import { startRedisServer, type LocalRedis } from '../../cli/devnet/redis-process.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { launchChromiumBrowser } from '../support/chromium.ts';

const ARTIFACTS = join(process.cwd(), '.tmp', 'test-artifacts', 'browser-workers');

interface DevnetInfo {
  grpc: string;
  http: string;
  natsWs: string;
  workerPage: string;
  dir: string;
}

describe('browser workers', () => {
  let redis: LocalRedis;
  let devnet: ChildProcess;
  let info: DevnetInfo;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    redis = await startRedisServer();
    const dir = mkdtempSync(join(tmpdir(), 'drex-browser-devnet-'));
    devnet = spawn(process.execPath, [CLI_ENTRY, 'devnet', '--workers', '0', '--redis', redis.url, '--grpc-port', '0', '--http-port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: devnet.stdout! }).once('line', resolve);
      devnet.once('exit', (c) => reject(new Error(`devnet exited ${c}; see ${dir}/logs`)));
    });
    info = JSON.parse(line) as DevnetInfo;
    browser = await launchChromiumBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (devnet && devnet.exitCode === null && devnet.signalCode === null) {
      devnet.kill('SIGTERM');
      await once(devnet, 'exit');
    }
    await redis?.stop();
  });

  it('two worker pages prove the genesis batch in split halves and it settles', async () => {
    expect(info.workerPage).toBe(`${info.http}/worker`);
    for (let i = 0; i < 2; i++) {
      const page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
      await page.goto(`${info.workerPage}?threads=1`);
      pages.push(page);
    }
    for (const page of pages) await page.waitForFunction(() => ['working', 'failed'].includes(document.body.dataset.state ?? ''), undefined, { timeout: 120_000 });
    for (const page of pages) expect(await page.evaluate(() => `${document.body.dataset.state}: ${document.getElementById('state-detail')?.textContent}`)).toBe('working: ');
    const ids = await Promise.all(pages.map((p) => p.textContent('#worker-id')));
    expect(new Set(ids).size).toBe(2);

    const crypto = await loadCrypto();
    const client = new BankClient({ address: info.grpc, bankId: 'central-bank', identity: devBankIdentity('central-bank') });
    try {
      // The genesis batch devnet submitted (the same idempotency key answers its id).
      const res = await client.submit(genesisIntents(crypto, (await client.deployment()).domain), 'devnet-genesis-v3');
      const events = await client.watch(res.batchId, () => {}, { finalStates: new Set(['SETTLED', 'FAILED']) });
      expect(events.at(-1)?.state).toBe('SETTLED');
    } finally {
      client.close();
    }
    // Two proofs, two halves each, the two halves of a proof on two pages (two operators): two each
    // (a page counts a half once JetStream confirmed its ack, shown within half a second).
    for (const page of pages) await page.waitForFunction(() => Number(document.getElementById('halves')?.textContent) >= 2, undefined, { timeout: 30_000 });
    const halves = await Promise.all(pages.map(async (p) => Number(await p.textContent('#halves'))));
    expect(halves).toEqual([2, 2]);
    await pages[0]!.screenshot({ path: join(ARTIFACTS, 'worker-page.png'), fullPage: true });
  }, 900_000);
});
