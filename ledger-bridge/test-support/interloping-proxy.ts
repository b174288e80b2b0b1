import { startRpcProxy } from './rpc-proxy.ts';

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
  const proxy = await startRpcProxy(target, {
    before: async (body) => {
      if (interloped >= times || !body.includes(`"${method}"`)) return;
      interloped++;
      await before();
    },
  });
  return { ...proxy, interloped: () => interloped };
}
