import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test proxy does with one JSON-RPC request body. */
export interface ProxyHooks {
  /** Awaited before the request is forwarded. */
  before?(body: string): Promise<void>;
  /** True: the node processes the request but its answer is dropped (the socket is closed). */
  dropAnswer?(body: string): boolean;
}

/** A loopback HTTP proxy to a JSON-RPC URL that forwards every request, with the hooks in between. */
export async function startRpcProxy(target: string, hooks: ProxyHooks): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    await hooks.before?.(body);
    const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await upstream.text();
    if (hooks.dropAnswer?.(body)) {
      res.destroy();
      return;
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
