import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Address, Hex } from 'viem';
import { Counter, Histogram, type Registry } from 'prom-client';
import { consumeMessages, type ConsumeLoop, type HandleOutcome } from '../../protocol/consume-messages.ts';
import { DrexError } from '../../protocol/errors.ts';
import { batchReadyV1, type BatchReadyV1, type BatchSettledV1, type UnsignedBatchSettledV1 } from '../../protocol/messages/settlement.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import { signAsProducer } from '../../swarm/identity/signed-message.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { verifyBatch, type ProofItem } from '../batch-verify.ts';
import { buildSettlementPackage, SettlementPackageError } from '../settlement-package.ts';
import { describePoint, pointOfWire, samePoint } from '../../protocol/ledger-point.ts';
import { TRANSFER_PUBLIC_INPUTS as IX } from '../../protocol/transfer-public-inputs.ts';
import type { VkeyCache } from '../intake/vkey-cache.ts';
import {
  ChainUnavailableError,
  checkLedger,
  ContractRevertedError,
  findSettlement,
  LedgerMismatchError,
  verificationKeyHash,
  type Groth16VerificationKey,
  type LedgerFacts,
  getLedgerPoint,
  settleBatch,
  settlementDifferences,
  type ChainClient,
} from '../../ledger-bridge/client.ts';

export interface SettlerOptions {
  nc: NatsConnection;
  names: NatsNames;
  chain: ChainClient;
  /** The chain id the settler was configured for: checked at start (LedgerMismatchError otherwise). */
  chainId: number;
  settlement: Address;
  vkeys: VkeyCache;
  /** The aggregator's identity: it signs every settlement outcome. */
  identity: Identity;
  log: Logger;
  registry: Registry;
  /** How long to wait before retrying a batch whose predecessor has not settled yet, or when the chain is down. */
  retryDelayMs?: number;
  /** In-progress signals while a batch is in hand; below the settle consumer's ack wait. Default 10 s. */
  workingIntervalMs?: number;
}

type Outcome = UnsignedBatchSettledV1 | 'wait';

/**
 * Settles ready batches, in order: verifies all of a batch's proofs off chain with one randomized
 * multi-pairing (bisection names bad ones), builds the settlement package (chain of ledger points, domain,
 * aggregation root) and has the ledger bridge submit it. A batch that does not start at the chain's
 * ledger point (note root, next note index, nullifier state) is not settleable yet and is dropped (the
 * orchestrator hands batches over when they can settle, and again if a hand-off gets lost); an
 * unreachable chain is retried; submission never settles twice. A batch that can never settle (the
 * ledger refuses it, no package can be built, it is signed in another domain, the chain holds
 * another settlement under its id) is answered at once with a code. Outcomes go back to the
 * orchestrator on `drex.settled.v1.batch`; the orchestrator checks a success against the chain itself.
 *
 * It settles only on the ledger it was configured for: `start()` checks the chain id and the contract
 * (`checkLedger`), and before the first batch of each artifact the contract's batch verifier is compared
 * with that artifact's verification key. A mismatch stops the settler (the batch is left for another
 * settler) and resolves `whenFailed()` with the LedgerMismatchError: the process must exit.
 */
export class Settler {
  private readonly js: JetStreamClient;
  private loop: ConsumeLoop | undefined;
  private readonly latest = new Map<string, number>();
  private readonly settled: Counter<'outcome'>;
  private readonly gas: Histogram;
  private ledger: LedgerFacts | undefined;
  /** Artifacts whose verification key was compared with the chain's batch verifier. */
  private readonly vkeyChecked = new Map<string, Promise<void>>();
  private fail!: (err: LedgerMismatchError) => void;
  private readonly failed = new Promise<LedgerMismatchError>((resolve) => (this.fail = resolve));

  constructor(private readonly o: SettlerOptions) {
    this.js = jetstream(o.nc);
    this.settled = new Counter({ name: 'drex_batches_settled_total', help: 'Settlement outcomes', labelNames: ['outcome'], registers: [o.registry] });
    this.gas = new Histogram({ name: 'drex_settlement_gas_per_transfer', help: 'Settlement gas per transfer', buckets: [25e3, 50e3, 75e3, 100e3, 150e3, 250e3, 500e3], registers: [o.registry] });
  }

  /** Resolves with the reason when the settler stopped itself because the ledger is not the configured one. */
  whenFailed(): Promise<LedgerMismatchError> {
    return this.failed;
  }

  async start(): Promise<void> {
    this.ledger = await checkLedger(this.o.chain, { chainId: this.o.chainId, settlement: this.o.settlement });
    // One at a time: batches settle in planning order.
    this.loop = await consumeMessages(await this.js.consumers.get(this.o.names.readyStream, this.o.names.settleConsumer), {
      schema: batchReadyV1,
      handle: (ready) => this.handle(ready),
      log: this.o.log,
      what: 'ready batch',
      maxMessages: 1,
      errorRetryMs: this.o.retryDelayMs ?? 2000,
      workingIntervalMs: this.o.workingIntervalMs ?? 10_000,
    });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  private async handle(ready: BatchReadyV1): Promise<HandleOutcome> {
    const later = { retryInMs: this.o.retryDelayMs ?? 2000 };
    const log = this.o.log.child({ batchId: ready.batchId, planVersion: ready.planVersion });
    if (ready.planVersion < (this.latest.get(ready.batchId) ?? 0)) return; // a newer plan of this batch supersedes it
    this.latest.set(ready.batchId, ready.planVersion);
    let outcome: Outcome;
    try {
      outcome = await this.settle(ready, log);
    } catch (err) {
      if (err instanceof LedgerMismatchError) {
        log.error('the ledger is not the one configured: the settler stops', { error: err });
        void this.loop?.stop();
        this.fail(err);
        return later;
      }
      if (err instanceof DrexError && !err.retryable) {
        log.error('the batch can never settle', { error: err });
        outcome = this.refused(ready, err instanceof ContractRevertedError ? 'REVERTED' : 'PACKAGE_INVALID', err.message);
      } else {
        if (err instanceof ChainUnavailableError) log.warn('chain unreachable; settlement will be retried', { error: err });
        else log.error('settlement attempt failed; will be retried', { error: err });
        return later;
      }
    }
    if (outcome === 'wait') return; // dropped: the orchestrator hands it over again once its predecessor settled
    await this.js.publish(this.o.names.settledSubject, JSON.stringify(signAsProducer(this.o.identity, outcome)), { msgID: `settled:${ready.batchId}:v${ready.planVersion}:${outcome.ok ? 'ok' : outcome.code}` });
    this.settled.inc({ outcome: outcome.ok ? 'settled' : outcome.code });
  }

  private refused(ready: BatchReadyV1, code: Extract<BatchSettledV1, { ok: false }>['code'], reason: string, badIndices: number[] = []): UnsignedBatchSettledV1 {
    return { v: 1, batchId: ready.batchId, planVersion: ready.planVersion, ok: false, code, badIndices, reason };
  }

  /** Throws LedgerMismatchError unless the chain's batch verifier was built from `artifact`'s verification key. */
  private checkVerifier(artifact: string): Promise<void> {
    let p = this.vkeyChecked.get(artifact);
    if (!p) {
      p = (async () => {
        const hash = verificationKeyHash((await this.o.vkeys.get(artifact)) as Groth16VerificationKey);
        const onChain = this.ledger!.verificationKeyHash;
        if (hash !== onChain) {
          throw new LedgerMismatchError([`the batch verifier at ${this.ledger!.batchVerifier} was built from verification key ${onChain}, not artifact ${artifact}'s ${hash}`]);
        }
      })();
      p.catch(() => this.vkeyChecked.delete(artifact));
      this.vkeyChecked.set(artifact, p);
    }
    return p;
  }

  /** Settles one batch, or says it cannot settle yet (predecessor unsettled). */
  private async settle(ready: BatchReadyV1, log: Logger): Promise<Outcome> {
    const { chain, settlement } = this.o;
    const batchId = ready.batchId as Hex;
    const base = { v: 1 as const, batchId: ready.batchId, planVersion: ready.planVersion };
    const points = ready.points.map(pointOfWire);
    const transfers = ready.items.reduce((sum, i) => sum + Number(i.publicSignals[IX.transfers]), 0);
    const expected = { noteRootBefore: points[0]!.noteRoot, after: points.at(-1)!, transfers };
    const done = await findSettlement(chain, settlement, batchId);
    if (done) {
      const diff = settlementDifferences(done, expected);
      if (diff.length > 0) return this.refused(ready, 'DIVERGED', `the chain holds another settlement of this batch id (tx ${done.txHash}): ${diff.join('; ')}`);
      return { ...base, ok: true, txHash: done.txHash, block: Number(done.blockNumber), gasUsed: 0, aggregationRoot: done.aggregationRoot };
    }
    const sorted = [...ready.items].sort((a, b) => a.index - b.index);
    const items: ProofItem[] = sorted.map((i) => ({ proof: i.proof, publicSignals: i.publicSignals }));
    const current = await getLedgerPoint(chain, settlement);
    if (!samePoint(current, points[0]!)) {
      log.info('not settleable yet (the chain is not at its starting point): left to the orchestrator to hand over again', { chain: describePoint(current) });
      return 'wait';
    }
    await this.checkVerifier(ready.artifact);
    const verdict = await verifyBatch(await this.o.vkeys.prepared(ready.artifact), items);
    if (!verdict.ok) {
      const badIndices = verdict.bad.map((i) => sorted[i]!.index);
      log.warn('batch verification found bad proofs', { bad: badIndices, checks: verdict.checks });
      return this.refused(ready, 'PROOF_INVALID', `proofs ${badIndices.join(', ')} do not verify`, badIndices);
    }
    let pkg;
    try {
      pkg = buildSettlementPackage({ batchId, items, expectedPoints: points, domain: this.ledger!.domain, transfersPerProof: this.ledger!.transfersPerProof });
    } catch (err) {
      if (err instanceof SettlementPackageError) return this.refused(ready, 'PACKAGE_INVALID', err.message);
      throw err;
    }
    try {
      const r = await settleBatch(chain, { address: settlement, batchId, proofs: pkg.proofs, publicInputs: pkg.publicInputs });
      const diff = settlementDifferences(r, expected);
      if (diff.length > 0) return this.refused(ready, 'DIVERGED', `another settlement of this batch id won (tx ${r.txHash}): ${diff.join('; ')}`);
      const gasUsed = Number(r.gasUsed);
      this.gas.observe(gasUsed / pkg.transfers);
      log.info('batch settled', { tx: r.txHash, block: Number(r.blockNumber), gasUsed, proofs: items.length, transfers: pkg.transfers, aggregationRoot: r.aggregationRoot });
      return { ...base, ok: true, txHash: r.txHash, block: Number(r.blockNumber), gasUsed, aggregationRoot: r.aggregationRoot };
    } catch (err) {
      if (err instanceof ContractRevertedError && !err.retryable) {
        log.error('the ledger refused the batch', { error: err });
        return this.refused(ready, 'REVERTED', err.message);
      }
      throw err;
    }
  }
}
