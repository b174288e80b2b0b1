// The WebGPU G1 MSM in headless Debian Chromium (its own WebGPU: SwiftShader here) against the WASM
// backend in Node, on random and degenerate inputs: the same code as the Node backend, bundled for the
// browser and handed the browser's device.
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../../test/support/chromium.ts';
import { serveBundledPage, type BrowserPage } from '../../test/support/browser-page.ts';
import { releaseProverCurve } from '../curve.ts';
import { wasmMsmBackend } from '../msm-backend.ts';
import { BN254_R } from './field-layout.ts';
import type { G1Point } from './gpu-points.ts';
import { keyBases, keyScalars, mixedTerms, randomPoints, randomScalar } from './test-support/points.ts';

/** Browser start, kernel compile and MSMs on a software Vulkan under load: generous. */
const SLOW = 600_000;

let served: BrowserPage;
let browser: TestBrowser;
let page: Page;
beforeAll(async () => {
  // Dawn for Node is imported only when no device is given; the page gives the browser's.
  served = await serveBundledPage(fileURLToPath(new URL('./test-support/browser-msm.ts', import.meta.url)), { nodeOnly: ['./node-device.ts'] });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(served.url);
  await page.waitForFunction(() => typeof window.drexG1Msm === 'function');
}, SLOW);
afterAll(async () => {
  await browser?.close();
  await served?.close();
  await releaseProverCurve();
});

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** The browser's MSM of the inputs, after checking it equals the WASM backend's in Node. */
async function agree(points: readonly G1Point[], scalars: readonly bigint[]) {
  const bases = keyBases(points);
  const s = keyScalars(scalars);
  const inBrowser = await page.evaluate(([b, k]) => window.drexG1Msm(b, k), [b64(bases), b64(s)] as const);
  const ours = inBrowser && { x: BigInt(inBrowser.x), y: BigInt(inBrowser.y) };
  expect(ours).toEqual(await wasmMsmBackend.g1MultiExp(bases, s));
  return ours;
}

describe('the WebGPU G1 MSM in Chromium', () => {
  it('runs on the browser\'s own WebGPU adapter', async () => {
    const adapter = await page.evaluate(() => window.drexAdapter());
    expect(adapter).toMatchObject({ vendor: expect.any(String), architecture: expect.any(String) });
  }, SLOW);

  it('equals the WASM MSM for one and two points, zero scalars, r - 1, P + P and P + (-P)', async () => {
    const [P, Q] = randomPoints(2) as [G1Point, G1Point];
    const s = randomScalar();
    expect(await agree([P], [s])).not.toBeNull();
    expect(await agree([P], [0n])).toBeNull();
    expect(await agree([P], [BN254_R - 1n])).toEqual(P.negate().toAffine());
    expect(await agree([P, Q], [s, randomScalar()])).not.toBeNull();
    expect(await agree([P, P.negate()], [s, s])).toBeNull();
    expect(await agree([P, P], [s, s])).toEqual(P.multiply((2n * s) % BN254_R).toAffine());
  }, SLOW);

  it('equals the WASM MSM on 1000 points with zero, one and r - 1 scalars, points at infinity and repeated points', async () => {
    const { points, scalars } = mixedTerms(1000);
    expect(await agree(points, scalars)).not.toBeNull();
  }, SLOW);

  it('equals the WASM MSM on 2^14 random points', async () => {
    const points = randomPoints(1 << 14);
    expect(await agree(points, points.map(() => randomScalar()))).not.toBeNull();
  }, SLOW);
});
