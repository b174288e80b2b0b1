import { readFileSync } from 'node:fs';
import { launchChromiumBrowser } from './test/support/chromium.ts';
const info = JSON.parse(readFileSync('/tmp/dn.out', 'utf8').split('\n')[0]!);
const browser = await launchChromiumBrowser();
const page = await (await browser.newContext()).newPage();
page.on('console', (m) => console.log('console', m.type(), m.text().slice(0, 300)));
page.on('pageerror', (e) => console.log('pageerror', e.message));
page.on('requestfailed', (r) => console.log('reqfailed', r.url(), r.failure()?.errorText));
await page.goto(`${info.workerPage}?threads=1`);
for (let i = 0; i < 20; i++) {
  await new Promise((r) => setTimeout(r, 3000));
  console.log('state', await page.evaluate(() => `${document.body.dataset.state} ${document.getElementById('state-detail')?.textContent} backend=${document.getElementById('backend')?.textContent}`));
  if (['working', 'failed'].includes(await page.evaluate(() => document.body.dataset.state ?? ''))) break;
}
await page.screenshot({ path: '/tmp/wp.png', fullPage: true });
await browser.close();
