import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregationRoot } from '../../aggregator/aggregation-tree.ts';
import { createChainClient, findSettlement, getCurrentRoot, isIntentUsed, isNullifierSpent, type ChainClient } from '../../ledger-bridge/index.ts';
import { CLI_ENTRY } from '../../cli/devnet/child-process.ts';
import type { StoredPlan, StoredProof } from '../../orchestrator/store/batch-store.ts';
import { Swarm } from '../support/swarm-harness.ts';

const run = promisify(execFile);
let swarm: Swarm;
let redis: Redis;
let chain: ChainClient;
let settlement: Hex;

beforeAll(async () => {
  swarm = await new Swarm({ workers: 2, ledger: true }).start();
  redis = new Redis(swarm.redis.url);
  chain = createChainClient({ url: swarm.ledger!.rpc, privateKey: swarm.ledger!.settlerKey, gasPrice: 0n });
  settlement = swarm.ledger!.contracts.DrexSettlement! as Hex;
}, 600_000);

afterAll(async () => {
  redis?.disconnect();
  await swarm?.stop();
}, 120_000);

/** A stored proof of any batch other than `batchId`. */
async function findAnyOtherProof(batchId: string): Promise<StoredProof | undefined> {
  for (const k of await redis.keys('drex:batch:*:proofs')) {
    if (k.includes(batchId)) continue;
    const any = Object.values(await redis.hgetall(k))[0];
    if (any) return JSON.parse(any) as StoredProof;
  }
  return undefined;
}

async function planOf(batchId: string): Promise<StoredPlan> {
  return JSON.parse((await redis.get(`drex:batch:${batchId}:plan`))!) as StoredPlan;
}

describe('settlement on the embedded EVM through the whole pipeline', () => {
  it('settles a batch: the chain holds exactly the planner\'s root, nullifiers and intents, and the aggregation root', async () => {
    const r = await swarm.run('central-bank', swarm.depositIntents(2), 'funding', new Set(['SETTLED', 'FAILED']));
    expect(r.last.state).toBe('SETTLED');
    expect(r.last.settlementTx).toMatch(/^0x[0-9a-f]{64}$/);
    expect(r.last.block).toBeGreaterThan(0);
    const plan = await planOf(r.batchId);
    expect(await getCurrentRoot(chain, settlement)).toBe(BigInt(plan.roots.at(-1)!));
    for (const t of plan.transfers) {
      expect(await isNullifierSpent(chain, settlement, BigInt(t.publicSignals[2]!))).toBe(true);
      expect(await isNullifierSpent(chain, settlement, BigInt(t.publicSignals[3]!))).toBe(true);
      expect(await isIntentUsed(chain, settlement, BigInt(t.publicSignals[10]!))).toBe(true);
    }
    const rec = await findSettlement(chain, settlement, r.batchId as Hex);
    expect(rec?.txHash).toBe(r.last.settlementTx);
    const proofs = Object.values(await redis.hgetall(`drex:batch:${r.batchId}:proofs`)).map((s) => JSON.parse(s) as StoredProof).sort((a, b) => a.index - b.index);
    expect(rec?.aggregationRoot).toBe(aggregationRoot(proofs.map((p) => ({ proof: p.proof as never, publicSignals: p.publicSignals }))));
    const got = await swarm.client('central-bank').get(r.batchId);
    expect(got).toMatchObject({ state: 'BATCH_STATE_SETTLED', settlement_tx: r.last.settlementTx });
  }, 600_000);

  it('settles once after the chain endpoint comes back', async () => {
    await swarm.ledger!.chain.stopHttp();
    const client = swarm.client('bank-a');
    const res = await client.submit(swarm.transferIntents('bank-a', 2), 'chain-down');
    const verified = await client.watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    expect(verified.at(-1)!.state).toBe('VERIFIED');
    await new Promise((r) => setTimeout(r, 4000)); // the settler meets a dead endpoint and retries
    expect((await swarm.client('bank-a').get(res.batchId)).state).toBe('BATCH_STATE_VERIFIED');
    await swarm.ledger!.chain.startHttp();
    const events = await client.watch(res.batchId);
    expect(events.at(-1)!.state).toBe('SETTLED');
    expect(events.filter((e) => e.state === 'SETTLED')).toHaveLength(1);
    const rec = await findSettlement(chain, settlement, res.batchId as Hex);
    expect(rec?.txHash).toBe(events.at(-1)!.settlementTx);
    expect(await getCurrentRoot(chain, settlement)).toBe(BigInt((await planOf(res.batchId)).roots.at(-1)!));
  }, 600_000);

  it('does not settle a batch carrying a valid proof of another job', async () => {
    // Plan and prove a batch without settling it through the pipeline: its jobs are proved and verified,
    // then the test tries to settle it itself with one proof swapped for a valid proof of another job.
    const client = swarm.client('bank-b');
    const res = await client.submit(swarm.transferIntents('bank-b', 2), 'wrong-job');
    await client.watch(res.batchId, () => {}, { finalStates: new Set(['VERIFIED', 'FAILED']) });
    const plan = await planOf(res.batchId);
    const mine = Object.values(await redis.hgetall(`drex:batch:${res.batchId}:proofs`)).map((x) => JSON.parse(x) as StoredProof).sort((a, b) => a.index - b.index);
    const other = (await findAnyOtherProof(res.batchId))!;
    const { settleBatch, SettlementRevertedError } = await import('../../ledger-bridge/index.ts');
    const { toSolidityProof } = await import('../../protocol/groth16-encoding.ts');
    const wrongId = ('0x' + 'ab'.repeat(32)) as Hex;
    const proofs = [toSolidityProof(other.proof as never), toSolidityProof(mine[1]!.proof as never)];
    // The other job's proof with this batch's public inputs: the batch proof check fails.
    const withMyInputs = await settleBatch(chain, { address: settlement, batchId: wrongId, proofs, publicInputs: plan.transfers.map((t) => t.publicSignals.map(BigInt)) }).catch((e: unknown) => e);
    expect(withMyInputs).toBeInstanceOf(SettlementRevertedError);
    // The other job's proof with its own public inputs: the root chain is broken.
    const withItsInputs = await settleBatch(chain, { address: settlement, batchId: wrongId, proofs, publicInputs: [other.publicSignals.map(BigInt), plan.transfers[1]!.publicSignals.map(BigInt)] }).catch((e: unknown) => e);
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
});
