import { join } from 'node:path';
import type { Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAggregator, type RunningAggregator } from '../../aggregator/service.ts';
import { spawnCli, type CliChild } from '../../cli/devnet/child-process.ts';
import { createChainReader, findSettlement } from '../../ledger-bridge/index.ts';
import { Swarm, waitForLeader } from '../support/swarm-harness.ts';
import { testLogger } from '../support/test-logger.ts';

/** The harness's lease TTL; the stated takeover bound is 1.25 x TTL plus the new leader's resume. */
const LEASE_TTL_MS = 3000;
const RESUME_ALLOWANCE_MS = 10_000;

let swarm: Swarm;
let standby: CliChild;
let replica: RunningAggregator;

beforeAll(async () => {
  swarm = await new Swarm({ workers: 2, ledger: true }).start();
  // A second orchestrator on the same Redis, NATS and chain: it waits for the lease.
  standby = await spawnCli('orchestrator-b', swarm.orchestratorArgs(), { logFile: join(swarm.dir, 'orchestrator-b.log') });
  // A second aggregator: intake and settlement replicas.
  replica = await startAggregator({
    keyFile: swarm.aggregatorKeyFile,
    natsUrl: swarm.nats.url,
    natsCreds: swarm.security.creds.aggregator,
    log: testLogger('aggregator-b', swarm.dir),
    ledger: { rpcUrl: swarm.ledger!.rpc, chainId: swarm.ledger!.chainId, settlement: swarm.ledger!.contracts.DrexSettlement!, privateKey: swarm.ledger!.settlerKey, gasPrice: 0n },
  });
}, 600_000);

afterAll(async () => {
  await replica?.stop();
  await standby?.stop();
  await swarm?.stop();
}, 120_000);

describe('one active orchestrator', () => {
  it('keeps a second orchestrator standing by; when the leader is killed mid-batch it takes over in time and the batch settles once', async () => {
    expect(standby.info).toMatchObject({ standby: true }); // no bank API while it stands by

    const client = swarm.client('central-bank');
    const res = await client.submit(swarm.depositIntents(2), 'failover');
    // Mid-batch: proving has started.
    await client.watch(res.batchId, () => {}, { finalStates: new Set(['PROVING', 'VERIFIED', 'SETTLED', 'FAILED']) });
    const killedAt = Date.now();
    await swarm.orchestrator.kill();
    const line = await waitForLeader(standby, 60_000);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(1.25 * LEASE_TTL_MS + RESUME_ALLOWANCE_MS);
    expect(Number(line.epoch)).toBe(2);
    swarm.orchestrator = standby;

    const events = await swarm.client('central-bank').watch(res.batchId);
    expect(events.at(-1)!.state).toBe('SETTLED');
    expect(events.filter((e) => e.state === 'SETTLED')).toHaveLength(1);
    const chain = createChainReader({ url: swarm.ledger!.rpc });
    const rec = await findSettlement(chain, swarm.ledger!.contracts.DrexSettlement!, res.batchId as Hex);
    expect(rec?.txHash).toBe(events.at(-1)!.settlementTx);
    // Every transfer of it was proved and recorded once.
    const seqs = events.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 600_000);

  it('fences off a leader that was paused past its lease: it stops and exits 75, and the new leader settles', async () => {
    const paused = swarm.orchestrator;
    const third = await spawnCli('orchestrator-c', swarm.orchestratorArgs(), { logFile: join(swarm.dir, 'orchestrator-c.log') });
    try {
      expect(third.info).toMatchObject({ standby: true });
      process.kill(paused.pid, 'SIGSTOP'); // a long GC pause, a frozen VM
      const line = await waitForLeader(third, 60_000);
      expect(Number(line.epoch)).toBe(3);
      process.kill(paused.pid, 'SIGCONT');
      expect(await paused.exited).toMatchObject({ code: 75 });
      swarm.orchestrator = third;
      const r = await swarm.run('central-bank', swarm.depositIntents(1), 'after-fencing', new Set(['SETTLED', 'FAILED']));
      expect(r.last.state).toBe('SETTLED');
    } finally {
      await paused.kill();
    }
  }, 600_000);
});
