import { describe, expect, it } from 'vitest';
import { workerPageRoutes } from './worker-page-routes.ts';

describe('workerPageRoutes', () => {
  const app = workerPageRoutes({ deployment: 'run-1', natsWsUrl: 'ws://127.0.0.1:4223' });

  it('serves the page with a policy that allows its own scripts, WASM and only its NATS WebSocket', async () => {
    const res = await app.request('/worker');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:4223");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await res.text()).toContain('<script type="module" src="/worker/app.js">');
  });

  it('serves its configuration', async () => {
    expect(await (await app.request('/worker/config.json')).json()).toEqual({ deployment: 'run-1', natsWsUrl: 'ws://127.0.0.1:4223' });
  });

  it('serves both scripts, built for the browser, with an ETag that answers 304', async () => {
    for (const name of ['app', 'msm-thread']) {
      const res = await app.request(`/worker/${name}.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
      const js = await res.text();
      expect(js.length).toBeGreaterThan(10_000);
      // Static imports of Node modules would be fetched by the browser and fail (the build refuses them).
      expect(js).not.toMatch(/from\s*["']node:/);
      const etag = res.headers.get('etag')!;
      expect((await app.request(`/worker/${name}.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
  }, 60_000);
});
