import type { Hex } from 'viem';
import type { ChainReader } from '../ledger-bridge/client.ts';
import type { Logger } from '../swarm/log/logger.ts';
import type { VerdictV1 } from '../protocol/messages/verdict.ts';
import type { WorkerLabels } from './members/member-directory.ts';
import type { JobCounts, Metrics } from './metrics.ts';
import type { BatchStore } from './store/batch-store.ts';

/** Jobs of the open batches by state, from their records (one read per open batch). */
export async function jobCounts(store: BatchStore): Promise<JobCounts> {
  const out: JobCounts = { waiting: 0, proving: 0, verified: 0 };
  const records = await Promise.all((await store.open()).map((id) => store.get(id)));
  for (const r of records) {
    if (!r) continue;
    if (r.state === 'PLANNED') out.waiting += r.proofs;
    else if (r.state === 'PROVING') out.proving += Math.max(0, r.proofs - r.verified);
    if (r.state !== 'SETTLED' && r.state !== 'FAILED') out.verified += r.verified;
  }
  return out;
}

/** One label set for the workers of a proof: theirs when they agree, `mixed` where they differ. */
export function workLabels(workers: readonly WorkerLabels[]): WorkerLabels {
  const pick = (f: keyof WorkerLabels) => (new Set(workers.map((w) => w[f])).size === 1 ? workers[0]![f] : 'mixed');
  return { runtime: pick('runtime'), msmBackend: pick('msmBackend') };
}

/**
 * Observes every batch this store makes final: its latency from acceptance (`drex_batch_latency_seconds`),
 * and for a settled one, the gas its settling transaction used, read from the chain's receipt
 * (`drex_settlement_gas_used`). VERIFIED counts as final only without a ledger.
 */
export function observeFinished(store: BatchStore, metrics: Metrics, o: { settles: boolean; chain?: ChainReader; log: Logger }): void {
  store.onFinish((id, state) => {
    if (state === 'VERIFIED' && o.settles) return;
    void (async () => {
      const r = await store.get(id);
      if (!r) return;
      metrics.batchLatency.observe({ state }, Math.max(0, r.updatedMs - r.createdMs) / 1000);
      if (state === 'SETTLED' && o.chain && r.settlementTx) {
        const receipt = await o.chain.public.getTransactionReceipt({ hash: r.settlementTx as Hex });
        metrics.settlementGas.observe(Number(receipt.gasUsed));
      }
    })().catch((err: unknown) => o.log.warn('could not observe a final batch for metrics', { batchId: id, error: err }));
  });
}

/**
 * Observes a recorded proof: its worker compute time and turnaround, labelled by proving mode and by
 * the runtime and MSM backend of the worker(s) that made it (`labelsOf`, from the members replica).
 */
export function observeProof(metrics: Metrics, labelsOf: (workerId: string) => WorkerLabels, v: Extract<VerdictV1, { accepted: true }>): void {
  const mode = v.halfWorkers ? 'split' : 'whole';
  const l = workLabels((v.halfWorkers ?? [v.workerId]).map(labelsOf));
  const labels = { mode, runtime: l.runtime, msm_backend: l.msmBackend };
  metrics.proveTime.observe(labels, v.proveMs / 1000);
  metrics.turnaround.observe(labels, Math.max(0, v.verifiedMs - v.enqueuedMs) / 1000);
  metrics.jobResults.inc({ outcome: 'accepted' });
}
