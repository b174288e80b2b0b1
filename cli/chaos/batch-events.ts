import type { Identity } from '../../swarm/identity/ed25519.ts';
import { BankClient } from '../bank/bank-client.ts';

/** A status event as the stream carries it (state without the BATCH_STATE_ prefix). */
export interface StatusEvent {
  seq: number;
  state: string;
}

/**
 * The events of a batch's status stream after `fromSeq` that arrive within `quietMs` (the server ends
 * the stream at the first final event; later events, which should not exist, show up when asked from
 * after it). Never throws: a broken stream returns what arrived.
 */
async function readWindow(client: BankClient, batchId: string, fromSeq: number, quietMs: number): Promise<StatusEvent[]> {
  const { events } = await client.readEvents(batchId, { fromSeq, quietMs });
  return events.map(({ seq, state }) => ({ seq, state }));
}

/**
 * Every event of a final batch's status stream (signed by the bank that owns it): up to the first final event, then whatever follows it
 * within `quietMs` (a second SETTLED would be a duplicate settlement).
 */
export async function readStatusEvents(bank: { address: string; bankId: string; identity: Identity }, batchId: string, quietMs = 1500): Promise<StatusEvent[]> {
  const client = new BankClient(bank);
  try {
    const first = await readWindow(client, batchId, 0, 10_000);
    const last = first.at(-1)?.seq ?? 0;
    const rest = await readWindow(client, batchId, last, quietMs);
    return [...first, ...rest];
  } finally {
    client.close();
  }
}
