/**
 * The browser worker end to end: a devnet with no Node worker, two worker pages in headless Chromium
 * (two contexts: two devices with keys of their own), and the genesis batch proved by them in split
 * halves and settled on the embedded chain. Screenshots go to .tmp/test-artifacts/browser-workers/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
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
  portal: string;
  regulatorTokenFile: string;
  dir: string;
}

/** Prometheus text: every line a comment or `name{labels} value`; the samples by series. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?(?:[0-9.e+-]+|NaN|\+Inf|-Inf))$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

const sum = (samples: Map<string, number>, name: string) => [...samples].filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((a, [, v]) => a + v, 0);

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

    const metricsBefore = parsePrometheus(await (await fetch(`${info.http}/metrics`)).text());
    const crypto = await loadCrypto();
    let batchId: string;
    const client = new BankClient({ address: info.grpc, bankId: 'central-bank', identity: devBankIdentity('central-bank') });
    try {
      // The genesis batch devnet submitted (the same idempotency key answers its id).
      const res = await client.submit(genesisIntents(crypto, (await client.deployment()).domain), 'devnet-genesis-v3');
      const events = await client.watch(res.batchId, () => {}, { finalStates: new Set(['SETTLED', 'FAILED']) });
      expect(events.at(-1)?.state).toBe('SETTLED');
      batchId = res.batchId;
    } finally {
      client.close();
    }
    // Two proofs, two halves each, the two halves of a proof on two pages (two operators): both pages
    // computed halves, four at least (a half re-issued after a slow page's deadline makes more). A page
    // counts a half once JetStream confirmed its ack, and shows it within half a second.
    const halvesOf = () => Promise.all(pages.map(async (p) => Number(await p.textContent('#halves'))));
    const deadline = Date.now() + 30_000;
    while ((await halvesOf()).reduce((a, b) => a + b, 0) < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const halves = await halvesOf();
    expect(halves.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
    for (const h of halves) expect(h).toBeGreaterThanOrEqual(1);
    await pages[0]!.screenshot({ path: join(ARTIFACTS, 'worker-page.png'), fullPage: true });

    // The operator's view: /metrics moved, labelled by the browsers' runtime and backend.
    const metrics = parsePrometheus(await (await fetch(`${info.http}/metrics`)).text());
    expect(sum(metrics, 'drex_proofs_accepted_total')).toBeGreaterThanOrEqual(sum(metricsBefore, 'drex_proofs_accepted_total') + 2);
    expect(sum(metrics, 'drex_batches_finished_total')).toBeGreaterThan(sum(metricsBefore, 'drex_batches_finished_total'));
    expect([...metrics.keys()].some((k) => k.startsWith('drex_job_prove_seconds_count{') && k.includes('runtime="browser"') && k.includes('msm_backend="wasm"'))).toBe(true);

    // The regulator's view: credentials required, bad queries refused with a reason, the batch and the workers listed.
    const token = readFileSync(info.regulatorTokenFile, 'utf8').trim();
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${info.http}/api/v1/batches/${batchId}`)).status).toBe(401);
    const bad = await fetch(`${info.http}/api/v1/batches?limit=lots`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { parameter: string } }).error.parameter).toBe('limit');
    const batch = (await (await fetch(`${info.http}/api/v1/batches/${batchId}`, { headers: auth })).json()) as { state: string; settlement: { txHash: string } | null };
    expect(batch.state).toBe('SETTLED');
    expect(batch.settlement?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const workers = (await (await fetch(`${info.http}/api/v1/workers`, { headers: auth })).json()) as { workers: { workerId: string; runtime: string; msmBackend?: string }[] };
    expect(workers.workers.filter((w) => ids.includes(w.workerId)).map((w) => `${w.runtime}/${w.msmBackend}`)).toEqual(['browser/wasm', 'browser/wasm']);

    // The regulator signs in with the token, opens the batch page and re-verifies it against the chain.
    const portal = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
    await portal.goto(`${info.portal}/batches/${batchId}`);
    await portal.fill('input[name=token]', token);
    await Promise.all([portal.waitForURL(`**/portal/batches/${batchId}`), portal.click('button[type=submit]')]);
    await Promise.all([portal.waitForLoadState('load'), portal.click('form[action$="/reverify"] button')]);
    await portal.screenshot({ path: join(ARTIFACTS, 'regulator-batch-page.png'), fullPage: true });
    expect(await portal.textContent('body')).toContain(batchId);
  }, 900_000);
});
