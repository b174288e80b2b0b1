import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import type { WatchedEvent } from '../bank/bank-client.ts';
import { bankClientOf, withBankOptions, type BankFlags } from '../bank/bank-options.ts';
import { sampleIntents } from '../bank/sample-intents.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';

const batchFile = z.object({
  idempotencyKey: z.string().optional(),
  transfers: z.array(z.any()).min(1),
});

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function progressLine(batchId: string, e: WatchedEvent): string {
  const bar = e.proofs ? ` ${e.verified}/${e.proofs} proofs` : '';
  const tx = e.settlementTx ? ` tx ${e.settlementTx} block ${e.block}` : '';
  return `[${batchId.slice(0, 10)}] #${e.seq} ${e.state}${bar} ${e.message}${tx}${e.errorCode ? ` (${e.errorCode})` : ''}\n`;
}

/** A positive 64-bit amount. */
const positiveAmount = (v: string): bigint => {
  if (!/^[1-9]\d{0,19}$/.test(v) || BigInt(v) >= 1n << 64n) throw new InvalidArgumentError('--amount must be a positive 64-bit integer');
  return BigInt(v);
};

/** `drex-swarm submit`: a bank client that signs, submits and follows a batch. */
export function submitCommand(): Command {
  return withBankOptions(new Command('submit').description('sign and submit a batch as a bank, then follow it until it is final'))
    .option('--file <batch.json>', 'batch file: {"idempotencyKey"?, "transfers": [TransferIntent...]}')
    .option('--sample <n>', 'submit n valid demo transfers between dev accounts', positiveInt)
    .option('--amount <centavos>', 'with --sample: every sample transfer moves this amount (to trace a known value)', positiveAmount)
    .option('--idempotency-key <key>', 'idempotency key (default: from the file, else random)')
    .option('--until <state>', 'stop following at this state (VERIFIED or SETTLED)', 'final')
    .option('--no-wait', 'return once the batch is accepted')
    .option('--json', 'print {"batchId","state","settlementTx","block"} as the last line')
    .action(async (o: BankFlags & { file?: string; sample?: number; amount?: bigint; idempotencyKey?: string; until: string; wait: boolean; json?: boolean }) => {
      if (!o.file === !o.sample) throw new InvalidArgumentError('give exactly one of --file or --sample');
      if (o.amount !== undefined && !o.sample) throw new InvalidArgumentError('--amount goes with --sample');
      let transfers: WireIntent[] = [];
      let key = o.idempotencyKey;
      if (o.file) {
        const parsed = batchFile.parse(JSON.parse(readFileSync(o.file, 'utf8')));
        transfers = parsed.transfers as WireIntent[];
        key ??= parsed.idempotencyKey;
      }
      key ??= `submit-${randomUUID()}`;
      const client = bankClientOf(o);
      try {
        // Sample intents are signed in the deployment's domain, which the orchestrator serves.
        if (!o.file) transfers = sampleIntents(await loadCrypto(), (await client.deployment()).domain, o.bank, o.sample!, o.amount);
        const t0 = Date.now();
        const res = await client.submit(transfers, key);
        process.stderr.write(`batch ${res.batchId} ${res.duplicate ? 'already submitted' : 'accepted'} (${transfers.length} transfers, key ${key})\n`);
        let last: WatchedEvent | undefined;
        if (o.wait) {
          const finalStates = o.until === 'final' ? undefined : new Set([o.until.toUpperCase(), 'FAILED', 'SETTLED']);
          const events = await client.watch(res.batchId, (e) => process.stderr.write(progressLine(res.batchId, e)), { finalStates });
          last = events.at(-1);
          const secs = (Date.now() - t0) / 1000;
          process.stderr.write(`batch ${res.batchId} ${last?.state ?? res.state} after ${secs.toFixed(1)} s (${(transfers.length / secs).toFixed(2)} transfers/s)\n`);
        }
        const state = last?.state ?? res.state;
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ batchId: res.batchId, state, settlementTx: last?.settlementTx || null, block: last?.block || null })}\n`);
        }
        if (state === 'FAILED') process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}
