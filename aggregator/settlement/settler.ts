import { jetstream, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Address, Hex } from 'viem';
import { Counter, Histogram, type Registry } from 'prom-client';
import { batchReadyV1, type BatchReadyV1, type BatchSettledV1 } from '../../protocol/messages/settlement.ts';
import { NATS } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { verifyBatch, type ProofItem } from '../batch-verify.ts';
import { buildSettlementPackage } from '../settlement-package.ts';
import type { VkeyCache } from '../intake/vkey-cache.ts';
import {
  ChainUnavailableError,
  ContractRevertedError,
  findSettlement,
  getCurrentRoot,
  settleBatch,
  type ChainClient,
} from '../../ledger-bridge/index.ts';

export interface SettlerOptions {
  nc: NatsConnection;
  chain: ChainClient;
  settlement: Address;
  vkeys: VkeyCache;
  log: Logger;
  registry: Registry;
  /** How long to wait before retrying a batch whose predecessor has not settled yet, or when the chain is down. */
  retryDelayMs?: number;
}

/**
 * Settles ready batches, in order: verifies all of a batch's proofs off chain with one randomized
 * multi-pairing (bisection names bad ones), builds the settlement package (root chain, nullifiers,
 * aggregation root) and has the ledger bridge submit it. A batch whose root_before is not yet the
 * chain's root waits for its predecessor; an unreachable chain is retried; submission never settles
 * twice. The outcome goes back to the orchestrator on `drex.settled.v1.batch`.
 */
export class Settler {
  private readonly js: JetStreamClient;
  private messages: ConsumerMessages | undefined;
  private running: Promise<void> | undefined;
  private readonly latest = new Map<string, number>();
  private readonly settled: Counter<'outcome'>;
  private readonly gas: Histogram;

  constructor(private readonly o: SettlerOptions) {
    this.js = jetstream(o.nc);
    this.settled = new Counter({ name: 'drex_batches_settled_total', help: 'Settlement outcomes', labelNames: ['outcome'], registers: [o.registry] });
    this.gas = new Histogram({ name: 'drex_settlement_gas_per_transfer', help: 'Settlement gas per transfer', buckets: [25e3, 50e3, 75e3, 100e3, 150e3, 250e3, 500e3], registers: [o.registry] });
  }

  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(NATS.readyStream, NATS.settleConsumer);
    // One at a time: batches settle in planning order.
    this.messages = await consumer.consume({ max_messages: 1 });
    this.running = (async () => {
      for await (const m of this.messages!) await this.handle(m);
    })();
  }

  async stop(): Promise<void> {
    await this.messages?.close();
    await this.running;
  }

  private async handle(m: JsMsg): Promise<void> {
    const delay = this.o.retryDelayMs ?? 2000;
    let ready: BatchReadyV1;
    try {
      const parsed = batchReadyV1.safeParse(JSON.parse(m.string()));
      if (!parsed.success) {
        this.o.log.error('malformed ready message dropped', { issues: parsed.error.issues.length });
        m.term();
        return;
      }
      ready = parsed.data;
    } catch {
      m.term();
      return;
    }
    const log = this.o.log.child({ batchId: ready.batchId, planVersion: ready.planVersion });
    const seen = this.latest.get(ready.batchId) ?? 0;
    if (ready.planVersion < seen) {
      m.ack(); // a newer plan of this batch supersedes it
      return;
    }
    this.latest.set(ready.batchId, ready.planVersion);
    try {
      const outcome = await this.settle(ready, log);
      if (outcome === 'wait') {
        m.nak(delay);
        return;
      }
      await this.js.publish(NATS.settledSubject, JSON.stringify(outcome), { msgID: `settled:${ready.batchId}:v${ready.planVersion}:${outcome.ok ? 'ok' : outcome.code}` });
      this.settled.inc({ outcome: outcome.ok ? 'settled' : outcome.code });
      m.ack();
    } catch (err) {
      if (err instanceof ChainUnavailableError) log.warn('chain unreachable; settlement will be retried', { error: err });
      else log.error('settlement attempt failed; will be retried', { error: err });
      m.nak(delay);
    }
  }

  /** Settles one batch, or says to wait (predecessor unsettled). */
  private async settle(ready: BatchReadyV1, log: Logger): Promise<BatchSettledV1 | 'wait'> {
    const { chain, settlement } = this.o;
    const batchId = ready.batchId as Hex;
    const base = { v: 1 as const, batchId: ready.batchId, planVersion: ready.planVersion };
    const done = await findSettlement(chain, settlement, batchId);
    if (done) {
      return { ...base, ok: true, txHash: done.txHash, block: Number(done.blockNumber), gasUsed: 0, aggregationRoot: done.aggregationRoot };
    }
    const items: ProofItem[] = [...ready.items].sort((a, b) => a.index - b.index).map((i) => ({ proof: i.proof, publicSignals: i.publicSignals }));
    const current = await getCurrentRoot(chain, settlement);
    if (current !== BigInt(ready.roots[0]!)) {
      log.info('waiting for the chain to reach this batch\'s root_before', { chainRoot: String(current).slice(0, 12) });
      return 'wait';
    }
    const verdict = await verifyBatch(await this.o.vkeys.prepared(ready.artifact), items);
    if (!verdict.ok) {
      const badIndices = verdict.bad.map((i) => [...ready.items].sort((a, b) => a.index - b.index)[i]!.index);
      log.warn('batch verification found bad proofs', { bad: badIndices, checks: verdict.checks });
      return { ...base, ok: false, code: 'PROOF_INVALID', badIndices, reason: `proofs ${badIndices.join(', ')} do not verify` };
    }
    const pkg = buildSettlementPackage({ batchId, items, expectedRoots: ready.roots.map(BigInt) });
    try {
      const r = await settleBatch(chain, { address: settlement, batchId, proofs: pkg.proofs, publicInputs: pkg.publicInputs });
      const gasUsed = Number(r.gasUsed);
      this.gas.observe(gasUsed / items.length);
      log.info('batch settled', { tx: r.txHash, block: Number(r.blockNumber), gasUsed, transfers: items.length, aggregationRoot: r.aggregationRoot });
      return { ...base, ok: true, txHash: r.txHash, block: Number(r.blockNumber), gasUsed, aggregationRoot: r.aggregationRoot };
    } catch (err) {
      if (err instanceof ContractRevertedError) {
        log.error('the ledger refused the batch', { error: err });
        return { ...base, ok: false, code: 'REVERTED', badIndices: [], reason: err.message };
      }
      throw err;
    }
  }
}
