// Nonces of one key shared by several senders, on the embedded EVM (it mines each transaction at once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keccak256, parseAbi, toHex, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createChainClient, type ChainClient } from './chain-client.ts';
import { startEmbeddedChain, type EmbeddedChain } from './embedded-chain.ts';
import { NonceConflictError } from './errors.ts';
import { sendTransaction, type MinedTransaction } from './send-transaction.ts';
import { startInterlopingProxy } from '../test-support/interloping-proxy.ts';
import { startDroppingProxy } from '../test-support/dropping-proxy.ts';

const noAbi = parseAbi(['function noop()']);

let chain: EmbeddedChain;
let key: Hex;
/** Where the test transactions go: an EOA (their data is a label, ignored by the chain). */
let sink: Address;

function clientFor(url: string): ChainClient {
  return createChainClient({ url, privateKey: key, chainId: chain.chainId, gasPrice: 0n, pollingIntervalMs: 20, confirmTimeoutMs: 10_000, retry: { attempts: 5, initialDelayMs: 50, maxDelayMs: 200 } });
}

const send = (c: ChainClient, label: string): Promise<MinedTransaction> =>
  sendTransaction(c, { to: sink, data: toHex(label), abi: noAbi, what: label, gas: 30_000n });

const nonceOf = (c: ChainClient) => c.public.getTransactionCount({ address: c.account.address, blockTag: 'latest' });

/** Another process with the same key: signs and broadcasts at the pending nonce, bypassing this process's senders. */
async function interlope(c: ChainClient, label: string): Promise<Hex> {
  const nonce = await c.public.getTransactionCount({ address: c.account.address, blockTag: 'pending' });
  const raw = await privateKeyToAccount(key).signTransaction({ type: 'legacy', chainId: chain.chainId, nonce, to: sink, data: toHex(label), gas: 30_000n, gasPrice: 0n });
  await c.public.sendRawTransaction({ serializedTransaction: raw });
  return keccak256(raw);
}

/** Labels of every transaction our key sent in blocks after `fromBlock`, in mining order. */
async function minedLabels(c: ChainClient, fromBlock: bigint): Promise<string[]> {
  const latest = await c.public.getBlockNumber();
  const out: string[] = [];
  for (let b = fromBlock + 1n; b <= latest; b++) {
    const block = await c.public.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() === c.account.address.toLowerCase()) out.push(Buffer.from(tx.input.slice(2), 'hex').toString('utf8'));
    }
  }
  return out;
}

beforeAll(async () => {
  chain = await startEmbeddedChain();
  key = chain.accounts[2]!;
  sink = privateKeyToAccount(chain.accounts[3]!).address;
});

afterAll(async () => {
  await chain?.stop();
});

describe('sendTransaction with one key and several senders', () => {
  it('two clients on one key sending concurrently: every transaction is mined exactly once, each under the hash it reports', async () => {
    // The proxy only counts the broadcasts (it interlopes with nothing).
    const counter = await startInterlopingProxy(chain.url, 'eth_sendRawTransaction', async () => {}, Infinity);
    const [a, b] = [clientFor(chain.url), clientFor(counter.url)];
    const fromBlock = await a.public.getBlockNumber();
    const nonceBefore = await nonceOf(a);
    const labels = Array.from({ length: 8 }, (_, i) => `concurrent:${i}`);
    const mined = await Promise.all(labels.map((l, i) => send(i % 2 ? b : a, l))).finally(() => counter.close());
    // This process's senders take turns: nobody signed with a taken nonce, so b signed each of its 4 once.
    expect(counter.interloped()).toBe(4);
    for (const [i, m] of mined.entries()) {
      expect(m.receipt.status).toBe('success');
      const tx = await a.public.getTransaction({ hash: m.hash });
      expect(tx.input).toBe(toHex(labels[i]!));
    }
    expect(new Set(mined.map((m) => m.hash)).size).toBe(8);
    expect(await nonceOf(a)).toBe(nonceBefore + 8);
    expect((await minedLabels(a, fromBlock)).sort()).toEqual([...labels].sort());
  });

  it('re-signs with a fresh nonce when another sender took the nonce ("nonce too low" for a hash the node does not know)', async () => {
    const direct = clientFor(chain.url);
    const fromBlock = await direct.public.getBlockNumber();
    const nonceBefore = await nonceOf(direct);
    const proxy = await startInterlopingProxy(chain.url, 'eth_sendRawTransaction', async () => {
      await interlope(direct, 'other-process:0');
    });
    try {
      const m = await send(clientFor(proxy.url), 'ours:0');
      expect(proxy.interloped()).toBe(1);
      expect(m.receipt.status).toBe('success');
      const tx = await direct.public.getTransaction({ hash: m.hash });
      expect(tx.nonce).toBe(nonceBefore + 1);
      expect(await minedLabels(direct, fromBlock)).toEqual(['other-process:0', 'ours:0']);
    } finally {
      await proxy.close();
    }
  });

  it('gives up with NonceConflictError (retryable) when the nonce is taken at every attempt, sending nothing of its own', async () => {
    const direct = clientFor(chain.url);
    const fromBlock = await direct.public.getBlockNumber();
    let n = 0;
    const proxy = await startInterlopingProxy(chain.url, 'eth_sendRawTransaction', async () => {
      await interlope(direct, `other-process:${++n}`);
    }, 100);
    try {
      const err = await send(clientFor(proxy.url), 'ours:never').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonceConflictError);
      expect((err as NonceConflictError).code).toBe('TX_NONCE_CONFLICT');
      expect((err as NonceConflictError).retryable).toBe(true);
      expect((err as NonceConflictError).cause).toBeDefined();
      expect(await minedLabels(direct, fromBlock)).not.toContain('ours:never');
      expect(await minedLabels(direct, fromBlock)).toHaveLength(proxy.interloped());
    } finally {
      await proxy.close();
    }
  });

  it('waits for its own transaction when a re-broadcast of the same bytes is answered "nonce too low" (the first got through)', async () => {
    const direct = clientFor(chain.url);
    const fromBlock = await direct.public.getBlockNumber();
    const nonceBefore = await nonceOf(direct);
    const proxy = await startDroppingProxy(chain.url, 'eth_sendRawTransaction');
    try {
      const m = await send(clientFor(proxy.url), 'ours:lost-answer');
      expect(proxy.dropped()).toBe(1);
      expect(m.receipt.status).toBe('success');
      expect(await nonceOf(direct)).toBe(nonceBefore + 1);
      expect(await minedLabels(direct, fromBlock)).toEqual(['ours:lost-answer']);
    } finally {
      await proxy.close();
    }
  });
});
