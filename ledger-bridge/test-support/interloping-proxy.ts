import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy to a JSON-RPC URL that forwards everything, but before forwarding each of the
 * first `times` requests calling `method` it awaits `before()`: e.g. another settler process, using the
 * same key, gets its own transaction in first and takes the nonce the client just signed with.
 */
export async function startInterlopingProxy(
  target: string,
  method: string,
  before: () => Promise<void>,
  times = 1,
): Promise<{ url: string; interloped(): number; close(): Promise<void> }> {
  let interloped = 0;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (interloped < times && body.includes(`"${method}"`)) {
      interloped++;
      await before();
    }
    const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(await upstream.text());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    interloped: () => interloped,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
