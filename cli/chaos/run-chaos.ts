import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address } from 'viem';
import { DEFAULT_CIRCUIT } from '../../circuits/build/compile.ts';
import { MAX_TRANSFERS_PER_PROOF } from '../../protocol/transfer-public-inputs.ts';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { startDevnet, type Devnet } from '../devnet/devnet.ts';
import { ResilientBatchApi } from './batch-api.ts';
import { BatchTracker, FINAL_STATES } from './batch-tracker.ts';
import { readStatusEvents } from './batch-events.ts';
import { ChaosOptionError, ChaosSetupError } from './errors.ts';
import { injectFaults, planFaults } from './faults.ts';
import { depositBatches, type ChaosBatch } from './intents.ts';
import { mulberry32 } from './prng.ts';
import { submitUntilAccepted, type Accepted } from './submit.ts';
import type { BatchOutcome, ChaosOptions, ChaosReport, FaultRecord } from './types.ts';
import { readChain } from './verify-chain.ts';

export type { ChaosOptions, ChaosReport } from './types.ts';

/** The bank that submits (the minter's bank: its batches are deposits). */
const BANK = 'central-bank';

/** Orchestrator timings shrunk so that a killed part's work is picked up within seconds. */
export const CHAOS_ORCHESTRATOR_ARGS = [
  '--lease-ttl-ms', '3000',
  '--reconcile-interval-ms', '2000',
  '--handoff-timeout-ms', '8000',
  '--housekeeping-interval-ms', '2000',
  '--lost-job-grace-ms', '10000',
  '--job-ack-wait-ms', '10000',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function resolved(o: ChaosOptions) {
  const r = {
    seed: o.seed,
    batches: o.batches ?? 3,
    transfers: o.transfers ?? 64,
    faults: o.faults ?? 20,
    workers: o.workers ?? 2,
    transfersPerProof: o.transfersPerProof ?? DEFAULT_CIRCUIT.k,
    timeoutMs: o.timeoutMs ?? 40 * 60_000,
    stallMs: o.stallMs ?? 5 * 60_000,
    spacing: o.faultSpacingMs ?? { min: 1500, max: 5000 },
  };
  if (!Number.isInteger(r.seed)) throw new ChaosOptionError(`seed must be an integer, got ${o.seed}`);
  for (const k of ['batches', 'transfers', 'workers', 'transfersPerProof', 'timeoutMs', 'stallMs'] as const) {
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new ChaosOptionError(`${k} must be a positive integer, got ${r[k]}`);
  }
  if (r.transfersPerProof > MAX_TRANSFERS_PER_PROOF) throw new ChaosOptionError(`transfersPerProof must be 1..${MAX_TRANSFERS_PER_PROOF}, got ${r.transfersPerProof}`);
  if (!Number.isInteger(r.faults) || r.faults < 0) throw new ChaosOptionError(`faults must be a non-negative integer, got ${r.faults}`);
  if (r.transfers < r.batches) throw new ChaosOptionError(`${r.transfers} transfers cannot fill ${r.batches} batches`);
  if (r.spacing.min < 0 || r.spacing.max < r.spacing.min) throw new ChaosOptionError('faultSpacingMs needs 0 <= min <= max');
  return r;
}

/**
 * A chaos run against a whole local swarm: starts a devnet (its own nats-server and redis-server, an
 * embedded EVM, the orchestrator, the aggregator and workers, all supervised), submits deposit batches
 * as the central bank, injects seeded faults (SIGKILL of the orchestrator, aggregator and workers;
 * SIGTERM restarts of NATS and Redis) while they are planned, proved and settled, waits until every
 * batch is final and checks the outcome against the chain: nothing lost, nothing applied twice, the
 * chain's root is the planner's. Always stops the devnet; removes the run folder only when all is well.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const o = resolved(options);
  const started = Date.now();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `drex-chaos-${o.seed}-`));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logFile = join(dir, 'logs', 'chaos.log');
  const log = (line: string) => {
    options.log?.(line);
    appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  };
  log(`seed ${o.seed}: ${o.batches} batches, ${o.transfers} transfers in proofs of ${o.transfersPerProof}, ${o.faults} faults, ${o.workers} workers; run folder ${dir}`);

  const rng = mulberry32(o.seed);
  await ensureArtifacts({ circuit: { ...DEFAULT_CIRCUIT, k: o.transfersPerProof } });
  const crypto = await loadCrypto();
  const submitGaps = Array.from({ length: o.batches }, () => rng.int(1000, 4000));
  const plan = planFaults(rng, { count: o.faults, workers: o.workers, spacing: o.spacing });

  let batches: ChaosBatch[] = [];
  let net: Devnet | undefined;
  let api: ResilientBatchApi | undefined;
  let statusApi: ResilientBatchApi | undefined;
  let report: ChaosReport | undefined;
  try {
    net = await startDevnet({
      workers: o.workers,
      transfersPerProof: o.transfersPerProof,
      threads: 1,
      // Killed workers restart often: a benchmark at each start would only add load.
      workerBenchmark: false,
      grpcPort: 0,
      httpPort: 0,
      dir,
      ownServices: true,
      ledger: 'embedded',
      genesis: false,
      orchestratorArgs: CHAOS_ORCHESTRATOR_ARGS,
      log: (m) => options.log?.(`devnet: ${m}`),
    }).catch((err: Error) => {
      throw new ChaosSetupError(`the devnet did not start: ${err.message}; see ${dir}/logs`, { cause: err });
    });
    const rpc = net.endpoints.rpc;
    const settlement = net.contracts?.DrexSettlement as Address | undefined;
    if (!rpc || !settlement) throw new ChaosSetupError('the devnet has no embedded chain');
    log(`devnet up: gRPC ${net.endpoints.grpc}, NATS ${net.endpoints.nats}, Redis ${net.endpoints.redis}, chain ${rpc}`);

    api = new ResilientBatchApi({ address: net.endpoints.grpc, bankId: BANK, identity: devBankIdentity(BANK) });
    // Intents are signed in the deployment's domain (its settlement contract's).
    const { domain } = await api.deployment();
    batches = depositBatches(crypto, rng, { ...o, domain });
    // Its own client: a failed call resets the client, which must not break a submission in flight.
    statusApi = new ResilientBatchApi({ address: net.endpoints.grpc, bankId: BANK, identity: devBankIdentity(BANK) });
    const tracker = new BatchTracker({ api: statusApi, log });
    const t0 = Date.now();
    const submitDeadline = t0 + o.timeoutMs;
    const accepted: Accepted[] = [];
    const submitOne = async (i: number) => {
      const b = batches[i]!;
      const a = await submitUntilAccepted(api!, b, { bankId: BANK, deployment: net!.deployment, deadline: submitDeadline, log });
      accepted[i] = a;
      tracker.add(a.batchId);
      log(`batch ${i + 1}/${batches.length} ${a.batchId.slice(0, 18)}.. accepted (${b.intents.length} transfers, attempt ${a.attempts}${a.duplicate ? ', duplicate' : ''})`);
    };
    // Faults start as soon as the first batch is in; the others are submitted while they hit.
    await submitOne(0);
    let faulting = true;
    const watching = tracker.follow({ deadline: Infinity, until: () => !faulting });
    const faultRun = injectFaults(net, plan, { t0, log, context: () => tracker.summary() });
    let faultLog: FaultRecord[] = [];
    try {
      for (let i = 1; i < batches.length; i++) {
        await sleep(submitGaps[i]!);
        await submitOne(i);
      }
    } finally {
      faultLog = await faultRun;
      faulting = false;
      await watching;
    }
    log(`${faultLog.length} faults injected; waiting until every batch is final (stuck when none moves for ${Math.round(o.stallMs / 1000)} s; at most ${Math.round(o.timeoutMs / 1000)} s)`);

    const ids = accepted.map((a) => a.batchId);
    const views = await tracker.follow({ deadline: Date.now() + o.timeoutMs, stallMs: o.stallMs });
    const settledEvents: number[] = [];
    for (const v of views) {
      settledEvents.push(FINAL_STATES.has(v.state) ? (await readStatusEvents({ address: net.endpoints.grpc, bankId: BANK, identity: devBankIdentity(BANK) }, v.batchId)).filter((e) => e.state === 'SETTLED').length : 0);
    }
    const chain = await readChain({ rpc, settlement, batchIds: ids });

    const transfers = batches.reduce((n, b) => n + b.intents.length, 0);
    const onChain = chain.settledPerBatch.reduce((n, x) => n + x, 0);
    // The chain settles a batch id once and every intent nullifier once (the circuit's nullifier set):
    // a transfer applied twice would show as more settled than submitted, or a second SETTLED event.
    const duplicates = Math.max(0, onChain - transfers) + settledEvents.reduce((n, x) => n + Math.max(0, x - 1), 0);
    const stuck = views.filter((v) => !FINAL_STATES.has(v.state)).length;
    // The planner's final root: the last batch's root_after (the last settled one's if it failed).
    const last = views.at(-1)?.state === 'SETTLED' ? views.at(-1) : views.filter((v) => v.state === 'SETTLED').at(-1);
    const finalRootMatches = Boolean(last?.rootAfter) && BigInt(last!.rootAfter) === chain.currentRoot;
    const lost = Math.max(0, transfers - onChain);
    const outcomes: BatchOutcome[] = views.map((v, i) => ({
      batchId: v.batchId,
      idempotencyKey: batches[i]!.idempotencyKey,
      transfers: batches[i]!.intents.length,
      state: v.state,
      rootAfter: v.rootAfter,
      settledOnChain: chain.settledPerBatch[i]!,
      settledEvents: settledEvents[i]!,
      submitAttempts: accepted[i]!.attempts,
    }));
    for (const b of outcomes) log(`batch ${b.idempotencyKey} ${b.batchId.slice(0, 18)}..: ${b.state}, ${b.settledOnChain}/${b.transfers} settled on chain, ${b.settledEvents} SETTLED event(s)`);
    log(`chain root ${chain.currentRoot}; planner's final root ${last?.rootAfter || '(none)'}`);
    report = {
      seed: o.seed,
      faults: faultLog.length,
      transfers,
      settled: onChain,
      lost,
      duplicates,
      stuck,
      final_root_matches: finalRootMatches,
      durationMs: 0,
      dir,
      ok: lost === 0 && duplicates === 0 && stuck === 0 && finalRootMatches,
      faultLog,
      batches: outcomes,
    };
  } finally {
    api?.close();
    statusApi?.close();
    if (net) {
      log('stopping the devnet');
      await net.stop();
    }
    if (!report?.ok) log(`run folder kept: ${dir}`);
  }
  report.durationMs = Date.now() - started;
  log(`done in ${(report.durationMs / 1000).toFixed(1)} s: ${report.ok ? 'ok' : 'FAILED'}`);
  if (report.ok && !options.dir) rmSync(dir, { recursive: true, force: true });
  return report;
}
