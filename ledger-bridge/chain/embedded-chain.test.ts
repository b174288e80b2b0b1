import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedChain, type EmbeddedChain } from './embedded-chain.ts';
import { JsonRpcServerError, serveJsonRpc } from './json-rpc-server.ts';

let chain: EmbeddedChain;
beforeAll(async () => {
  chain = await startEmbeddedChain();
});
afterAll(async () => {
  await chain?.stop();
});

const rpc = async (url: string, body: unknown) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

describe('embedded chain', () => {
  it('serves standard JSON-RPC on 127.0.0.1: chain id, zero base fee, batch requests', async () => {
    expect(chain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const [id, block] = (await rpc(chain.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_getBlockByNumber', params: ['latest', false] },
    ])) as [{ result: string }, { result: { baseFeePerGas: string } }];
    expect(Number(id.result)).toBe(1337);
    expect(block.result.baseFeePerGas).toBe('0x0');
  });

  it('answers a revert with code 3 and the raw revert data, as Besu and geth do', async () => {
    // 0x60006000fd...: PUSH 0 PUSH 0 REVERT would be empty; use creation code that reverts with 4 bytes.
    // mstore(0, 0xdeadbeef << 224); revert(0, 4)
    const code = '0x63deadbeef60e01b60005260046000fd';
    const res = (await rpc(chain.url, { jsonrpc: '2.0', id: 7, method: 'eth_call', params: [{ data: code }, 'latest'] })) as { id: number; error: { code: number; data: string } };
    expect(res.id).toBe(7);
    expect(res.error.code).toBe(3);
    expect(res.error.data).toBe('0xdeadbeef');
  });

  it('refuses to listen anywhere but loopback, and comes back on the same port after stopHttp', async () => {
    await expect(serveJsonRpc(chain.provider, { host: '0.0.0.0' })).rejects.toBeInstanceOf(JsonRpcServerError);
    await chain.stopHttp();
    await expect(fetch(chain.url, { method: 'POST', body: '{}' })).rejects.toThrow();
    await chain.startHttp();
    const res = (await rpc(chain.url, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })) as { result: string };
    expect(res.result).toMatch(/^0x/);
  });
});
