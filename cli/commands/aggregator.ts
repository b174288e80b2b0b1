import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Address, Hex } from 'viem';
import { startAggregator } from '../../aggregator/service.ts';
import { untilSignal } from '../run-until-signal.ts';

/** Commander parser of a chain id (a positive integer). */
export const parseChainId = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('--chain-id must be a positive integer');
  return n;
};
const DEFAULT_KEY = join(homedir(), '.config', 'drex-swarm', 'aggregator-key.json');

const hexOf = (bytes: number, what: string) => (v: string) => {
  if (!new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(v)) throw new InvalidArgumentError(`${what} must be 0x and ${bytes * 2} hex digits`);
  return v;
};

/** `drex-swarm aggregator`: result intake and verdicts, and settlement when a ledger is configured. */
export function aggregatorCommand(): Command {
  return new Command('aggregator')
    .description('run the aggregator: verify worker results, and settle verified batches when --rpc is given')
    .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
    .option('--key <file>', 'Ed25519 identity file that signs verdicts and settlement outcomes (created when missing; give its public key to the orchestrator as --aggregator-key)', DEFAULT_KEY)
    .option('--deployment <id>', 'whose streams, subjects and buckets: one id per deployment, e.g. c<chainId>-<settlement address prefix>', 'dev')
    .option('--rpc <url>', 'JSON-RPC URL of the ledger (embedded chain or Besu); enables settlement')
    .option('--chain-id <id>', 'chain id the ledger must have (required with --rpc; checked at start)', parseChainId)
    .option('--settlement <address>', 'DrexSettlement contract address', hexOf(20, '--settlement'))
    .option('--settler-key <hex>', "settler account's private key (or DREX_SETTLER_KEY)", hexOf(32, '--settler-key'))
    .option('--gas-price <wei>', 'fixed gas price (0 on a zero-base-fee Besu network)')
    .option('--nats-creds <file>', 'NATS .creds file of the aggregator role (or DREX_NATS_CREDS)', process.env.DREX_NATS_CREDS)
    .action(async (o: { nats: string; natsCreds?: string; key: string; deployment: string; rpc?: string; chainId?: number; settlement?: string; settlerKey?: string; gasPrice?: string }) => {
      const key = o.settlerKey ?? process.env.DREX_SETTLER_KEY;
      if (o.rpc && (!o.settlement || !key || o.chainId === undefined)) throw new InvalidArgumentError('--rpc needs --chain-id, --settlement and --settler-key (or DREX_SETTLER_KEY)');
      const agg = await startAggregator({
        natsUrl: o.nats,
        natsCreds: o.natsCreds,
        keyFile: resolve(o.key),
        deployment: o.deployment,
        ledger: o.rpc ? { rpcUrl: o.rpc, chainId: o.chainId!, settlement: o.settlement as Address, privateKey: key as Hex, gasPrice: o.gasPrice === undefined ? undefined : BigInt(o.gasPrice) } : undefined,
      });
      process.stdout.write(`${JSON.stringify({ pid: process.pid, id: agg.id, settles: Boolean(o.rpc) })}\n`);
      // A settler that finds the ledger is not the configured one stops: so does the process (non-zero).
      const failed = agg.settler?.whenFailed() ?? new Promise<never>(() => {});
      const end = await Promise.race([untilSignal(), failed]);
      await agg.stop();
      if (typeof end !== 'string') throw end;
    });
}
