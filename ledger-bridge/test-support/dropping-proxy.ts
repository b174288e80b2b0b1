import { startRpcProxy } from './rpc-proxy.ts';

/**
 * A loopback HTTP proxy to a JSON-RPC URL that forwards everything, but for the FIRST request calling
 * `method` it drops the answer (closes the socket after the node has processed it): a lost response.
 */
export async function startDroppingProxy(target: string, method: string): Promise<{ url: string; dropped(): number; close(): Promise<void> }> {
  let dropped = 0;
  const proxy = await startRpcProxy(target, {
    dropAnswer: (body) => {
      if (dropped > 0 || !body.includes(`"${method}"`)) return false;
      dropped++;
      return true;
    },
  });
  return { ...proxy, dropped: () => dropped };
}
