import { Command } from 'commander';
import { startAggregator } from '../../aggregator/service.ts';
import { untilSignal } from '../run-until-signal.ts';

/** `drex-swarm aggregator`: result intake and verdicts (and settlement, when a ledger is configured). */
export function aggregatorCommand(): Command {
  return new Command('aggregator')
    .description('run the aggregator: verify worker results and publish verdicts')
    .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
    .action(async (o: { nats: string }) => {
      const agg = await startAggregator({ natsUrl: o.nats });
      process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
      await untilSignal();
      await agg.stop();
    });
}
