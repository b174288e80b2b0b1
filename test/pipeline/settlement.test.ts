import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { DEFAULT_DEPLOYMENT, natsNames } from '../../protocol/subjects.ts';
import { aggregationRoot } from '../../aggregator/aggregation-tree.ts';
import { createChainClient, findSettlement, getLedgerPoint, type ChainClient } from '../../ledger-bridge/index.ts';
import { pointOfWire } from '../../protocol/ledger-point.ts';
import { CLI_ENTRY } from '../../cli/devnet/child-process.ts';
import type { StoredPlan, StoredProof } from '../../orchestrator/store/batch-store.ts';
import { Swarm } from '../support/swarm-harness.ts';

/** The deployment the swarm under test runs as (the default). */
const NATS = natsNames(DEFAULT_DEPLOYMENT);

const run = promisify(execFile);
/** The regulator token the orchestrator under test is started with (its API re-verifies settled batches). */
const REGULATOR_TOKEN = 'pipeline-regulator-token-0123456789';
const regulator = { authorization: `Bearer ${REGULATOR_TOKEN}` };
let swarm: Swarm;
let redis: Redis;
let chain: ChainClient;
let settlement: Hex;
let natsConnection: NatsConnection;

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  // Short delivery limits and ack windows for hand-offs to the settler, and a short chain retry: a batch
  // that waits out its predecessor or the chain runs out of JetStream deliveries within seconds.
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'drex-settlement-test-')), 'regulator.token');
  writeFileSync(tokenFile, `${REGULATOR_TOKEN}\n`);
  swarm = await new Swarm({
    workers: 2,
    ledger: true,
    orchestratorArgs: ['--regulator-token-file', tokenFile],
    settleMaxDeliver: 3,
    settleAckWaitMs: 3000,
    settleRetryMs: 300,
    chainRetry: { attempts: 2, initialDelayMs: 100, maxDelayMs: 200 },
  }).start();
  redis = new Redis(swarm.redis.url);
  chain = createChainClient({ url: swarm.ledger!.rpc, chainId: swarm.ledger!.chainId, privateKey: swarm.ledger!.settlerKey, gasPrice: 0n });
  settlement = swarm.ledger!.contracts.DrexSettlement! as Hex;
  natsConnection = await connect({ servers: swarm.nats.url, ...(await swarm.connectOptions()) });
}, 600_000);

afterAll(async () => {
  await natsConnection?.close();
  redis?.disconnect();
  await swarm?.stop();
}, 120_000);

/** A stored proof of any batch other than `batchId`. */
async function findAnyOtherProof(batchId: string): Promise<StoredProof | undefined> {
  for (const k of await redis.keys('drex:dev:batch:*:proofs')) {
    if (k.includes(batchId)) continue;
    const any = Object.values(await redis.hgetall(k))[0];
    if (any) return JSON.parse(any) as StoredProof;
  }
  return undefined;
}

async function planOf(batchId: string): Promise<StoredPlan> {
  return JSON.parse((await redis.get(`drex:dev:batch:${batchId}:plan`))!) as StoredPlan;
}

describe('settlement on the embedded EVM through the whole pipeline', () => {
  it('settles a batch: the chain holds exactly the planner\'s ledger point (note root, next leaf, nullifier state), its transfers and the aggregation root', async () => {
    const r = await swarm.run('central-bank', swarm.depositIntents(2), 'funding', new Set(['SETTLED', 'FAILED']));
    expect(r.last.state).toBe('SETTLED');
    expect(r.last.settlementTx).toMatch(/^0x[0-9a-f]{64}$/);
    expect(r.last.block).toBeGreaterThan(0);
    const plan = await planOf(r.batchId);
    expect(await getLedgerPoint(chain, settlement)).toEqual(pointOfWire(plan.points.at(-1)!));
    // Every intent is in the nullifier set the chain's state commits to: its transfers count them.
    expect(plan.proofs.flatMap((p) => p.transfers)).toHaveLength(4);
    const rec = await findSettlement(chain, settlement, r.batchId as Hex);
    expect(rec?.txHash).toBe(r.last.settlementTx);
    expect(rec?.transfers).toBe(4);
    expect(rec?.minted).toBe(4n * 1_000_000n);
    const proofs = Object.values(await redis.hgetall(`drex:dev:batch:${r.batchId}:proofs`)).map((s) => JSON.parse(s) as StoredProof).sort((a, b) => a.index - b.index);
    expect(rec?.aggregationRoot).toBe(aggregationRoot(proofs.map((p) => ({ proof: p.proof as never, publicSignals: p.publicSignals }))));
    const got = await swarm.client('central-bank').get(r.batchId);
    expect(got).toMatchObject({ state: 'BATCH_STATE_SETTLED', settlement_tx: r.last.settlementTx });
    // The regulator API lists it and re-verifies it off-chain against the settling transaction.
    const listed = (await (await fetch(`${swarm.httpUrl}/api/v1/batches?state=SETTLED`, { headers: regulator })).json()) as { batches: { id: string; settlement: { txHash: string } }[] };
    expect(listed.batches.find((b) => b.id === r.batchId)?.settlement.txHash).toBe(r.last.settlementTx);
    const res = await fetch(`${swarm.httpUrl}/api/v1/batches/${r.batchId}/reverify`, { method: 'POST', headers: regulator });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { ok: boolean; checks: { name: string; result: string }[]; proofs: { verifies: boolean; inputsMatchPlan: boolean; sameAsRecorded: boolean }[] };
    expect(report.checks.filter((c) => c.result !== 'pass')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.proofs).toHaveLength(plan.proofs.length);
    expect(report.proofs.every((p) => p.verifies && p.inputsMatchPlan && p.sameAsRecorded)).toBe(true);
    expect((await fetch(`${swarm.httpUrl}/api/v1/batches/${r.batchId}/reverify`, { method: 'POST' })).status).toBe(401);
    // Its settlement gas and latency are on /metrics.
    const metricsText = await (await fetch(`${swarm.httpUrl}/metrics`)).text();
    expect(metricsText).toMatch(/^drex_settlement_gas_used_count [1-9]/m);
    expect(metricsText).toMatch(/^drex_batch_latency_seconds_count\{state="SETTLED"\} [1-9]/m);
    expect(metricsText).toMatch(/^drex_job_prove_seconds_count\{mode="whole",runtime="node",msm_backend="wasm"\} [1-9]/m);
  }, 600_000);

  it('settles two batches in order once the chain is back, after their hand-offs ran out of deliveries and ack windows', async () => {
    await swarm.ledger!.chain.stopHttp();
    const client = swarm.client('bank-a');
    const first = await client.submit(swarm.transferIntents('bank-a', 2), 'chain-down-1');
    const second = await client.submit(swarm.transferIntents('bank-a', 2), 'chain-down-2');
    for (const id of [first.batchId, second.batchId]) {
      const verified = await client.watch(id, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
      expect(verified.at(-1)!.state).toBe('VERIFIED');
    }
    // JetStream gives up on both hand-offs: nothing left to deliver or in a settler's hands.
    const jsm = await jetstreamManager(natsConnection);
    await until('the hand-offs to run out of deliveries', async () => {
      const info = await jsm.consumers.info(NATS.readyStream, NATS.settleConsumer);
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered >= 0;
    });
    await new Promise((r) => setTimeout(r, 3500)); // longer than the ack window, too
    expect((await client.get(first.batchId)).state).toBe('BATCH_STATE_VERIFIED');
    expect((await client.get(second.batchId)).state).toBe('BATCH_STATE_VERIFIED');
    await swarm.ledger!.chain.startHttp();
    const a = await client.watch(first.batchId);
    const b = await client.watch(second.batchId);
    expect(a.at(-1)!.state).toBe('SETTLED');
    expect(b.at(-1)!.state).toBe('SETTLED');
    expect(a.filter((e) => e.state === 'SETTLED')).toHaveLength(1);
    expect(b.filter((e) => e.state === 'SETTLED')).toHaveLength(1);
    expect(b.some((e) => /handed to settlement/.test(e.message))).toBe(true);
    const [ra, rb] = [await findSettlement(chain, settlement, first.batchId as Hex), await findSettlement(chain, settlement, second.batchId as Hex)];
    expect(ra?.txHash).toBe(a.at(-1)!.settlementTx);
    expect(rb?.txHash).toBe(b.at(-1)!.settlementTx);
    expect(rb!.blockNumber).toBeGreaterThan(ra!.blockNumber);
    expect(await getLedgerPoint(chain, settlement)).toEqual(pointOfWire((await planOf(second.batchId)).points.at(-1)!));
  }, 600_000);

  it('fails a batch the ledger can never take at its first attempt with a code, and re-plans and settles the batch after it', async () => {
    const { sendTransaction, drexSettlementAbi } = await import('../../ledger-bridge/index.ts');
    const { encodeFunctionData } = await import('viem');
    const [minter, limit] = await Promise.all([
      chain.public.readContract({ address: settlement, abi: drexSettlementAbi, functionName: 'minterId' }),
      chain.public.readContract({ address: settlement, abi: drexSettlementAbi, functionName: 'complianceLimit' }),
    ]);
    // The admin schedules the limit; the chain's clock then moves past its activation and the previous
    // policy's grace (one policy delay each), so that only the new limit is accepted.
    const admin = createChainClient({ url: swarm.ledger!.rpc, privateKey: swarm.ledger!.adminKey, gasPrice: 0n });
    const delay = await chain.public.readContract({ address: settlement, abi: drexSettlementAbi, functionName: 'policyDelay' });
    const setLimit = async (l: bigint) => {
      await sendTransaction(admin, { to: settlement, abi: drexSettlementAbi, what: 'schedulePolicy', data: encodeFunctionData({ abi: drexSettlementAbi, functionName: 'schedulePolicy', args: [minter, l] }) });
      await swarm.ledger!.chain.increaseTime(2 * Number(delay));
    };
    const refusedBefore = await swarm.metric('drex_batches_settled_total', { outcome: 'REVERTED' });
    await setLimit(0n); // every proof now exceeds the compliance limit: the ledger refuses the batch
    const client = swarm.client('bank-b');
    const doomed = await client.submit(swarm.transferIntents('bank-b', 2), 'never-settles');
    const next = await client.submit(swarm.transferIntents('bank-b', 1, 1, 7_000n), 'after-never-settles');
    const events = await client.watch(doomed.batchId);
    await setLimit(limit);
    expect(events.at(-1)!.state).toBe('FAILED');
    expect(events.at(-1)!.errorCode).toBe('SETTLEMENT_FAILED');
    expect(await swarm.metric('drex_batches_settled_total', { outcome: 'REVERTED' })).toBe(refusedBefore + 1);
    const verifiedAt = events.find((e) => e.state === 'VERIFIED')!.atMs;
    expect(events.at(-1)!.atMs - verifiedAt).toBeLessThan(60_000); // at once, not after retries
    const later = await client.watch(next.batchId);
    expect(later.at(-1)!.state).toBe('SETTLED');
    expect(later.some((e) => /planned again|re-planned/.test(e.message))).toBe(true);
    expect(await findSettlement(chain, settlement, doomed.batchId as Hex)).toBeNull();
    expect(await getLedgerPoint(chain, settlement)).toEqual(pointOfWire((await planOf(next.batchId)).points.at(-1)!));
  }, 600_000);

  it('does not settle a batch carrying a valid proof of another job', async () => {
    // Plan and prove a batch without settling it through the pipeline: its jobs are proved and verified,
    // then the test tries to settle it itself with one proof swapped for a valid proof of another job.
    const client = swarm.client('bank-b');
    const res = await client.submit(swarm.transferIntents('bank-b', 2), 'wrong-job');
    await client.watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    const plan = await planOf(res.batchId);
    const mine = Object.values(await redis.hgetall(`drex:dev:batch:${res.batchId}:proofs`)).map((x) => JSON.parse(x) as StoredProof).sort((a, b) => a.index - b.index);
    const other = (await findAnyOtherProof(res.batchId))!;
    const { settleBatch, SettlementRevertedError } = await import('../../ledger-bridge/index.ts');
    const { toSolidityProof } = await import('../../protocol/groth16-encoding.ts');
    const wrongId = ('0x' + 'ab'.repeat(32)) as Hex;
    const proofs = [toSolidityProof(other.proof as never), toSolidityProof(mine[1]!.proof as never)];
    // The other job's proof with this batch's public inputs: the batch proof check fails.
    const withMyInputs = await settleBatch(chain, { address: settlement, batchId: wrongId, proofs, publicInputs: plan.proofs.map((t) => t.publicSignals.map(BigInt)) }).catch((e: unknown) => e);
    expect(withMyInputs).toBeInstanceOf(SettlementRevertedError);
    // The other job's proof with its own public inputs: the root chain is broken.
    const withItsInputs = await settleBatch(chain, { address: settlement, batchId: wrongId, proofs, publicInputs: [other.publicSignals.map(BigInt), plan.proofs[1]!.publicSignals.map(BigInt)] }).catch((e: unknown) => e);
    expect(withItsInputs).toBeInstanceOf(SettlementRevertedError);
    expect(await findSettlement(chain, settlement, wrongId)).toBeNull();
    // The pipeline still settles the batch with its own proofs.
    const events = await client.watch(res.batchId);
    expect(events.at(-1)!.state).toBe('SETTLED');
  }, 600_000);

  it('submit --json reports the settlement transaction and block', async () => {
    const { stdout } = await run(process.execPath, [CLI_ENTRY, 'submit', '--grpc', swarm.grpc, '--bank', 'bank-b', '--sample', '2', '--json'], { timeout: 500_000 });
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { batchId: string; state: string; settlementTx: string; block: number };
    expect(last.state).toBe('SETTLED');
    expect(last.settlementTx).toMatch(/^0x[0-9a-f]{64}$/);
    expect(last.block).toBeGreaterThan(0);
    expect((await findSettlement(chain, settlement, last.batchId as Hex))?.blockNumber).toBe(BigInt(last.block));
  }, 600_000);

  // Last: it leaves the chain diverged from the planner on purpose.
  it('detects another settlement under a batch id (never reports it SETTLED), and a chain root nothing planned can reach', async () => {
    const { createPublicClient, custom } = await import('viem');
    const { privateKeyToAccount } = await import('viem/accounts');
    const { settleBatch } = await import('../../ledger-bridge/index.ts');
    const { toSolidityProof } = await import('../../protocol/groth16-encoding.ts');
    // Another settler with the chain to itself: the pipeline's settler and reconciler cannot reach it.
    const ledger = swarm.ledger!;
    await ledger.chain.stopHttp();
    const direct = { ...chain, url: 'in-process', public: createPublicClient({ transport: custom(ledger.chain.provider) }), account: privateKeyToAccount(ledger.settlerKey) };
    const client = swarm.client('bank-a');
    const res = await client.submit(swarm.transferIntents('bank-a', 2), 'interloped');
    const verified = await client.watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    expect(verified.at(-1)!.state).toBe('VERIFIED');
    const proofs = Object.values(await redis.hgetall(`drex:dev:batch:${res.batchId}:proofs`)).map((x) => JSON.parse(x) as StoredProof).sort((a, b) => a.index - b.index);
    // Only the first transfer, under this batch's id: valid on chain, but not this plan.
    const other = await settleBatch(direct as ChainClient, {
      address: settlement,
      batchId: res.batchId as Hex,
      proofs: [toSolidityProof(proofs[0]!.proof as never)],
      publicInputs: [proofs[0]!.publicSignals.map(BigInt)],
      gas: 5_000_000n,
    });
    expect(other.transfers).toBe(1);
    await ledger.chain.startHttp();
    const events = await client.watch(res.batchId);
    expect(events.at(-1)!.state).toBe('FAILED');
    expect(events.at(-1)!.errorCode).toBe('SETTLEMENT_DIVERGED');
    expect(events.some((e) => e.state === 'SETTLED')).toBe(false);
    // The chain now sits on a root no plan leads to: the next batch cannot settle and says why.
    const next = await swarm.run('bank-b', swarm.transferIntents('bank-b', 1), 'after-divergence', new Set(['SETTLED', 'FAILED']));
    expect(next.last.state).toBe('FAILED');
    expect(next.last.errorCode).toBe('CHAIN_DIVERGED');
  }, 600_000);
});
