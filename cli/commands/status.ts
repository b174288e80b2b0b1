import { Command, InvalidArgumentError } from 'commander';
import type { WatchedEvent } from '../bank/bank-client.ts';
import { bankClientOf, withBankOptions, type BankFlags } from '../bank/bank-options.ts';

const BATCH_ID = /^0x[0-9a-f]{64}$/;

function batchIdArg(v: string): string {
  if (!BATCH_ID.test(v)) throw new InvalidArgumentError(`batch id must be 0x and 64 lowercase hex digits, got "${v.slice(0, 80)}"`);
  return v;
}

function eventLine(e: WatchedEvent): string {
  const bar = e.proofs ? ` ${e.verified}/${e.proofs} proofs` : '';
  const tx = e.settlementTx ? ` tx ${e.settlementTx}` : '';
  return `  #${e.seq} ${new Date(e.atMs).toISOString()} ${e.state}${bar} ${e.message}${tx}${e.errorCode ? ` (${e.errorCode})` : ''}`;
}

/** `drex-swarm status BATCH_ID`: a bank's view of one of its batches (signed GetBatch and WatchBatch). */
export function statusCommand(): Command {
  return withBankOptions(new Command('status').description("show one of the bank's batches: state, transfers, transaction, roots and its last events").argument('<batch-id>', 'the batch id (0x and 64 hex digits)', batchIdArg))
    .option('--events <n>', 'how many of the last events to show', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
      return n;
    }, 5)
    .option('--json', 'print one JSON line instead')
    .action(async (batchId: string, o: BankFlags & { events: number; json?: boolean }) => {
      const client = bankClientOf(o);
      try {
        const b = await client.get(batchId);
        const events = o.events > 0 ? (await client.recentEvents(batchId)).slice(-o.events) : [];
        const state = String(b.state).replace('BATCH_STATE_', '');
        const view = {
          batchId,
          bank: String(b.bank_id),
          state,
          transfers: Number(b.transfers),
          proofs: Number(b.proofs ?? 0),
          verified: Number(b.verified),
          settlementTx: String(b.settlement_tx) || null,
          block: Number(b.block) || null,
          rootBefore: String(b.root_before) || null,
          rootAfter: String(b.root_after) || null,
          errorCode: String(b.error_code) || null,
          error: String(b.error) || null,
          createdMs: Number(b.created_ms),
          updatedMs: Number(b.updated_ms),
          events,
        };
        if (o.json) {
          process.stdout.write(`${JSON.stringify(view)}\n`);
          return;
        }
        const lines = [
          `batch ${batchId} (${view.bank})`,
          `  state        ${state}${view.errorCode ? ` (${view.errorCode}: ${view.error})` : ''}`,
          `  transfers    ${view.transfers}${view.proofs ? ` in ${view.proofs} proofs, ${view.verified} verified` : ''}`,
          `  transaction  ${view.settlementTx ? `${view.settlementTx} block ${view.block}` : '-'}`,
          `  note root before  ${view.rootBefore ?? '-'}`,
          `  note root after   ${view.rootAfter ?? '-'}`,
          `  updated      ${new Date(view.updatedMs).toISOString()}`,
          ...(events.length ? [`last ${events.length} events:`, ...events.map(eventLine)] : []),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        client.close();
      }
    });
}
