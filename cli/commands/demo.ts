import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createPublicClient, http, type Hex } from 'viem';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { stderrProgress } from '../../circuits/ceremony/progress.ts';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { BankClient, type WatchedEvent } from '../bank/bank-client.ts';
import { sampleIntents } from '../bank/sample-intents.ts';

const say = (m: string) => process.stdout.write(`${m}\n`);

/**
 * `drex-swarm demo`: the whole system on embedded defaults. Builds the artifacts, starts a devnet (its
 * own NATS and Redis, an embedded EVM with the contracts, the orchestrator, the aggregator and two
 * workers), mints genesis notes, has two banks submit batches over gRPC and follows them to settlement.
 */
export function demoCommand(): Command {
  return new Command('demo')
    .description('end-to-end demo on embedded defaults: two banks\' batches proved by the swarm and settled on an embedded EVM')
    .option('--workers <n>', 'Node workers', Number, 2)
    .option('--transfers <n>', 'transfers per bank (each a proof at k = 1, split in two halves)', Number, 2)
    .action(async (o: { workers: number; transfers: number }) => {
      await ensureArtifacts({ progress: stderrProgress('setup') });
      const { startDevnet } = await import('../devnet/devnet.ts');
      const net = await startDevnet({
        workers: o.workers,
        threads: 1,
        grpcPort: 0,
        httpPort: 0,
        genesis: true,
        ownServices: true,
        ledger: 'embedded',
        dir: mkdtempSync(join(tmpdir(), 'drex-demo-')),
        log: (m) => process.stderr.write(`[devnet] ${m}\n`),
      });
      const clients: BankClient[] = [];
      try {
        say(`devnet: gRPC ${net.endpoints.grpc}, chain ${net.endpoints.rpc}, DrexSettlement ${net.contracts?.DrexSettlement}`);
        say('minting genesis notes to the demo banks\' accounts through the swarm ...');
        const g = await net.genesis;
        if (!g || g.state !== 'SETTLED') throw new Error(`the genesis batch ended ${g?.state}`);
        say(`genesis batch ${g.batchId.slice(0, 18)}.. settled`);

        const crypto = await loadCrypto();
        const chain = createPublicClient({ transport: http(net.endpoints.rpc!) });
        const t0 = Date.now();
        const results = await Promise.all(
          (['bank-a', 'bank-b'] as const).map(async (bank) => {
            const client = new BankClient({ address: net.endpoints.grpc, bankId: bank, identity: devBankIdentity(bank) });
            clients.push(client);
            const { domain } = await client.deployment();
            const res = await client.submit(sampleIntents(crypto, domain, bank, o.transfers), `demo-${bank}-${Date.now()}`);
            say(`${bank}: batch ${res.batchId.slice(0, 18)}.. accepted (${o.transfers} transfers)`);
            const events = await client.watch(res.batchId, (e: WatchedEvent) => {
              if (e.state !== 'PROVING' || e.verified === e.proofs) say(`${bank}: ${e.state.padEnd(8)} ${e.verified}/${e.proofs} proofs ${e.message}`);
            });
            return { bank, batchId: res.batchId, last: events.at(-1)! };
          }),
        );
        const seconds = (Date.now() - t0) / 1000;
        let transfers = 0;
        for (const r of results) {
          if (r.last.state !== 'SETTLED') throw new Error(`${r.bank}'s batch ended ${r.last.state}: ${r.last.message}`);
          const receipt = await chain.getTransactionReceipt({ hash: r.last.settlementTx as Hex });
          transfers += o.transfers;
          say(`${r.bank}: SETTLED tx ${r.last.settlementTx} block ${r.last.block}, gas ${receipt.gasUsed} (${(Number(receipt.gasUsed) / o.transfers).toFixed(0)} per transfer)`);
        }
        say(`${transfers} private transfers proved by ${o.workers} workers and settled in ${seconds.toFixed(1)} s: ${(transfers / seconds).toFixed(2)} transfers/s on this machine`);
      } finally {
        for (const c of clients) c.close();
        await net.stop();
      }
    });
}
