import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { decodeQbftExtraData, qbftExtraData, QBFT_MIX_HASH } from './qbft-genesis.ts';

const besuDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'besu');
const read = (rel: string) => readFileSync(join(besuDir, rel), 'utf8');

describe('Besu QBFT profile (deploy/besu)', () => {
  it('encodes extraData exactly as besu rlp encode --type=QBFT_EXTRA_DATA does', () => {
    // Besu's documented 4-validator example.
    const validators = [
      '0x1000000000000000000000000000000000000001',
      '0x2000000000000000000000000000000000000002',
      '0x3000000000000000000000000000000000000003',
      '0x4000000000000000000000000000000000000004',
    ] as const;
    expect(qbftExtraData([...validators].reverse())).toBe(
      '0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854941000000000000000000000000000000000000001942000000000000000000000000000000000000002943000000000000000000000000000000000000003944000000000000000000000000000000000000004c080c0',
    );
  });

  it('has a genesis whose extraData names the 4 validators of the key files, with zero base fee and London + Shanghai', () => {
    const genesis = JSON.parse(read('genesis.json')) as { config: Record<string, unknown>; extraData: Hex; mixHash: string; difficulty: string };
    const keys = [1, 2, 3, 4].map((i) => read(`keys/validator-${i}.key`).trim() as Hex);
    const fromKeys = keys.map((k) => privateKeyToAccount(k).address.toLowerCase()).sort();
    expect(decodeQbftExtraData(genesis.extraData)).toEqual(fromKeys);
    expect(genesis.config).toMatchObject({ londonBlock: 0, shanghaiTime: 0, zeroBaseFee: true, qbft: { blockperiodseconds: 2 } });
    expect(genesis.mixHash).toBe(QBFT_MIX_HASH);
    expect(genesis.difficulty).toBe('0x1');
  });

  it('configures every node with HTTP JSON-RPC, min-gas-price 0, revert reasons, and node 1 as bootnode', () => {
    const node1Pub = read('keys/validator-1.pub').trim().slice(2);
    for (const i of [1, 2, 3, 4]) {
      const toml = read(`config/validator-${i}.toml`);
      expect(toml).toMatch(/^rpc-http-enabled=true$/m);
      expect(toml).toMatch(/^min-gas-price=0$/m);
      expect(toml).toMatch(/^revert-reason-enabled=true$/m);
      expect(toml).toContain(`node-private-key-file="/config/keys/validator-${i}.key"`);
      if (i > 1) expect(toml).toContain(`enode://${node1Pub}@172.16.239.11:30303`);
    }
  });

  it('is what deploy/besu/generate.ts produces (no drift)', async () => {
    const { besuProfileFiles } = await import('../../deploy/besu/generate.ts');
    for (const [rel, content] of Object.entries(besuProfileFiles())) expect(read(rel), rel).toBe(content);
  });
});
