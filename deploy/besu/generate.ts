// Writes the drex-swarm Besu QBFT dev network: genesis.json, keys/, config/*.toml (deterministic; run
// again to check nothing drifted). Usage: npx tsx deploy/besu/generate.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateKeyToAccount } from 'viem/accounts';
import { besuNodeToml, devKey, enodeUrl, qbftGenesis, validatorKey } from '../../ledger-bridge/besu/qbft-genesis.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const VALIDATORS = [1, 2, 3, 4].map((i) => validatorKey(`validator-${i}`, devKey(`validator-${i}`)));
export const SETTLER_KEY = devKey('settler');
/** The settlement contract's admin (roles, policy changes): never the settler, never on a service host. */
export const ADMIN_KEY = devKey('admin');
/** Static addresses of the compose network (Besu bootnodes need IPs). */
export const nodeIp = (i: number) => `172.16.239.${10 + i}`;

/** Every generated file, by path relative to deploy/besu. */
export function besuProfileFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const settler = privateKeyToAccount(SETTLER_KEY).address;
  const admin = privateKeyToAccount(ADMIN_KEY).address;
  files['genesis.json'] = `${JSON.stringify(qbftGenesis({ validators: VALIDATORS.map((v) => v.address), alloc: [settler, admin] }), null, 2)}\n`;
  VALIDATORS.forEach((v, i) => {
    files[`keys/${v.name}.key`] = `${v.privateKey}\n`;
    files[`keys/${v.name}.pub`] = `0x${v.enodeId}\n`;
    files[`config/${v.name}.toml`] = besuNodeToml({
      key: v,
      p2pHost: nodeIp(i + 1),
      bootnodes: i === 0 ? [] : [enodeUrl(VALIDATORS[0]!, nodeIp(1))],
      genesisFile: '/config/genesis.json',
      keyFile: `/config/keys/${v.name}.key`,
      dataPath: '/data',
    });
  });
  files['keys/settler.key'] = `${SETTLER_KEY}\n`;
  files['keys/admin.key'] = `${ADMIN_KEY}\n`;
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [rel, content] of Object.entries(besuProfileFiles())) {
    mkdirSync(dirname(join(here, rel)), { recursive: true });
    writeFileSync(join(here, rel), content);
    process.stderr.write(`wrote deploy/besu/${rel}\n`);
  }
}
