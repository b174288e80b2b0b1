import type { Address, Hex } from 'viem';
import * as snarkjs from 'snarkjs';
import type { ChainReader } from '../../ledger-bridge/client.ts';
import type { SnarkjsProof } from '../../protocol/groth16-encoding.ts';
import type { Metrics } from '../metrics.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { BatchNotFoundError, BatchNotSettledError, ChainReadError, NoLedgerError, ReverifyBusyError } from '../http/api-errors.ts';
import { reverifyChecks, type ReverifyReport } from './reverify-checks.ts';
import { readSettledOnChain, type SettledOnChain } from './settled-call.ts';

export interface ReverifierOptions {
  store: BatchStore;
  /** The ledger batches settle on (none: nothing can be re-verified). */
  ledger?: { chain: ChainReader; settlement: Address };
  /** The circuit's snarkjs verification key (verification_key.json, parsed). */
  vkey: unknown;
  /** The deployment's domain. */
  domain?: bigint;
  metrics?: Pick<Metrics, 'reverifications'>;
}

/**
 * Re-verifies settled batches off-chain against the chain's record (see `reverifyChecks`), one at a
 * time: an operator action that pairs on the CPU, so a request while one runs is refused
 * (`ReverifyBusyError`) rather than queued, and the proofs are verified one by one with the event loop
 * served in between.
 */
export class Reverifier {
  private running = false;

  constructor(private readonly o: ReverifierOptions) {}

  /** Re-verifies batch `batchId`; throws `BatchNotFoundError`, `BatchNotSettledError`, `NoLedgerError`, `ReverifyBusyError`, `ChainReadError`. */
  async reverify(batchId: string): Promise<ReverifyReport> {
    const { store, ledger, metrics } = this.o;
    if (this.running) throw new ReverifyBusyError(5);
    this.running = true;
    try {
      const batch = await store.get(batchId);
      if (!batch) throw new BatchNotFoundError(batchId);
      if (!ledger) throw new NoLedgerError();
      if (batch.state !== 'SETTLED') throw new BatchNotSettledError(batchId, batch.state);
      const [plan, recorded] = await Promise.all([store.plan(batchId), store.proofs(batchId)]);
      let onChain: SettledOnChain | null;
      try {
        onChain = await readSettledOnChain(ledger.chain, ledger.settlement, batchId as Hex);
      } catch (err) {
        metrics?.reverifications.inc({ outcome: 'error' });
        throw new ChainReadError(`the chain at ${ledger.chain.url} could not be read: ${(err as Error).message.split('\n')[0]}`, { cause: err });
      }
      const report = await reverifyChecks({
        batch,
        plan: plan && plan.version === batch.planVersion ? plan : null,
        recorded,
        onChain,
        settlement: ledger.settlement,
        domain: this.o.domain,
        verify: (signals, proof) => snarkjs.groth16.verify(this.o.vkey, signals, proof as SnarkjsProof as snarkjs.Groth16Proof),
      });
      metrics?.reverifications.inc({ outcome: report.ok ? 'passed' : 'failed' });
      return report;
    } finally {
      this.running = false;
    }
  }
}
