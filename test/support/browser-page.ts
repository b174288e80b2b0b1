/**
 * A page for browser tests: a TypeScript entry bundled for the browser with esbuild, served with a blank
 * HTML page that loads it, on a loopback port (a secure context, as WebGPU needs). `nodeOnly` names the
 * modules (as imported) left out of the bundle: Node-only code the browser reaches only through a
 * dynamic import it never runs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';

export interface BrowserPage {
  url: string;
  close(): Promise<void>;
}

/** Bundles `entry` (an ES module) and serves it at `/app.js` behind `/`. */
export async function serveBundledPage(entry: string, o: { nodeOnly?: string[] } = {}): Promise<BrowserPage> {
  const external = ['node:*', ...(o.nodeOnly ?? [])];
  const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120', write: false, external, logLevel: 'silent' });
  const js = out.outputFiles[0]!.contents;
  const html = '<!doctype html><meta charset="utf-8"><title>drex-swarm test page</title><script type="module" src="/app.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
