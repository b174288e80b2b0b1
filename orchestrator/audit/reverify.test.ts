// Re-verification of a batch REALLY settled on the embedded EVM: one deposit proved with the suite's
// circuit, settled with the ledger bridge, recorded SETTLED in a real Redis; then the same checks on
// tampered inputs must fail.
import { readFileSync } from 'node:fs';
import { toHex, type Address, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { batchPublicSignals } from '../../circuits/model/batch-witness.ts';
import { signIntent } from '../../circuits/model/intent.ts';
import { Ledger } from '../../circuits/model/ledger.ts';
import { randomField } from '../../circuits/model/note.ts';
import { planBatches } from '../../circuits/model/plan-batches.ts';
import { devBankAccounts, devMinter } from '../../circuits/sample/dev-accounts.ts';
import { DEV_COMPLIANCE_LIMIT, DREX_BRL } from '../../circuits/sample/sample-transfer.ts';
import { startDevLedger, type DevLedger } from '../../cli/devnet/embedded-ledger.ts';
import { createChainClient, createChainReader, getDomain, settleBatch, type ChainReader, type SettlementResult } from '../../ledger-bridge/index.ts';
import { provePlan, type ProvedBatch } from '../../ledger-bridge/test-support/prove-plan.ts';
import { fromSolidityProof, type SolidityProof } from '../../protocol/groth16-encoding.ts';
import { wireOfPoint } from '../../protocol/ledger-point.ts';
import { useRedisServer } from '../../test/support/redis-for-tests.ts';
import { loadProverArtifacts } from '../../worker/prover/groth16-prover.ts';
import * as snarkjs from 'snarkjs';
import type { ValidatedBatch } from '../api/validate-submit.ts';
import { httpApp } from '../http/http-app.ts';
import { RegulatorTokens } from '../http/regulator-tokens.ts';
import { createMetrics } from '../metrics.ts';
import { BatchStore, type StoredPlan } from '../store/batch-store.ts';
import { Reverifier } from './reverifier.ts';
import { reverifyChecks, type ReverifyInput, type ReverifyReport } from './reverify-checks.ts';
import { readSettledOnChain, type SettleCall, type SettledOnChain } from './settled-call.ts';

const redis = useRedisServer();
const TOKEN = 'reverify-test-token-0123456789';
const BATCH = toHex('reverify-test-batch', { size: 32 });
let ledger: DevLedger;
let chain: ChainReader;
let settlement: Address;
let store: BatchStore;
let vkey: unknown;
let domain: bigint;
let plan: StoredPlan;
let proved: ProvedBatch;
let settled: SettlementResult;

beforeAll(async () => {
  ledger = await startDevLedger();
  chain = createChainReader({ url: ledger.rpc });
  settlement = ledger.contracts.DrexSettlement!;
  const artifacts = await ensureArtifacts();
  vkey = JSON.parse(readFileSync(artifacts.vkey, 'utf8'));
  const { k, depth, nullDepth } = artifacts.manifest;
  const crypto = await loadCrypto();
  domain = await getDomain(chain, settlement);
  const minter = devMinter(crypto);
  const params = { k, depth, nullDepth, policy: { minter: minter.owner, complianceLimit: DEV_COMPLIANCE_LIMIT }, domain };
  const to = devBankAccounts(crypto, 'bank-a')[0]!.owner;
  const signed = signIntent(crypto, minter, domain, { kind: 'deposit', sender: minter.owner, recipient: to, amount: 1_000n, asset: DREX_BRL, nonce: 1n, seed: randomField() });
  const p = planBatches(crypto, Ledger.empty(crypto, depth, nullDepth), params, [{ signed }]);
  proved = await provePlan(loadProverArtifacts(artifacts), p);
  settled = await settleBatch(createChainClient({ url: ledger.rpc, privateKey: ledger.settlerKey, gasPrice: 0n }), { address: settlement, batchId: BATCH, proofs: proved.proofs, publicInputs: proved.publicInputs });
  // The batch as the orchestrator records it, walked to SETTLED.
  plan = {
    version: 1,
    points: p.points.map((x) => wireOfPoint({ noteRoot: x.noteRoot, noteIndex: BigInt(x.noteIndex), nullRoot: x.nullRoot })),
    proofs: p.proofs.map((x) => ({ index: x.index, input: x.input, publicSignals: batchPublicSignals(x.public), transfers: x.transfers.map((t) => t.index) })),
  };
  store = new BatchStore(redis(), 'reverify:');
  const v: ValidatedBatch = { batchId: BATCH, bankId: 'central-bank', idempotencyKey: 'k', requestHash: 'h', intents: [{} as ValidatedBatch['intents'][number]], intentNullifiers: ['n'] };
  await store.create(v);
  const delta = { depth, nullDepth, sizeBefore: 0, keysBefore: 0, noteRootBefore: 'a', noteRootAfter: 'b', nullRootAfter: 'c', leaves: [], keys: [], added: [], removed: [] };
  expect((await store.recordPlan(BATCH, { plan, delta, replan: false, message: 'planned' })).ok).toBe(true);
  await store.markProving(BATCH, 1, 1);
  const proof = fromSolidityProof(proved.proofs[0]!);
  expect((await store.acceptProof(BATCH, 1, { index: 0, jobId: `${BATCH}.v1.t0.a1`, workerId: 'ab'.repeat(32), proof, publicSignals: plan.proofs[0]!.publicSignals, proveMs: 10 })).ok).toBe(true);
  expect((await store.markSettled(BATCH, 1, { txHash: settled.txHash, block: Number(settled.blockNumber), aggregationRoot: settled.aggregationRoot, message: 'settled' })).ok).toBe(true);
}, 600_000);

afterAll(async () => {
  await ledger?.stop();
});

const failed = (r: ReverifyReport) => r.checks.filter((c) => c.result === 'fail').map((c) => c.name);

describe('re-verifying a settled batch against the chain', () => {
  it('passes every check for the batch as settled, through the API and the portal button', async () => {
    const metrics = createMetrics();
    const reverifier = new Reverifier({ store, vkey, domain, metrics, ledger: { chain, settlement } });
    const app = httpApp({ registry: metrics.registry, health: async () => ({ status: 'ok', checks: {} }), regulator: { tokens: new RegulatorTokens([TOKEN]), store, reverifier, metrics } });
    const res = await app.request(`/api/v1/batches/${BATCH}/reverify`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const r = (await res.json()) as ReverifyReport;
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => [c.name, c.result])).toEqual([
      ['chain-record', 'pass'],
      ['aggregation-root', 'pass'],
      ['chain-vs-plan', 'pass'],
      ['settle-call', 'pass'],
      ['inputs-vs-plan', 'pass'],
      ['inputs-chain', 'pass'],
      ['proofs', 'pass'],
    ]);
    expect(r.settlement).toMatchObject({ txHash: settled.txHash, block: Number(settled.blockNumber), functionName: 'settleBatch' });
    expect(r.proofs).toEqual([{ index: 0, verifies: true, inputsMatchPlan: true, sameAsRecorded: true, workerId: 'ab'.repeat(32), halfWorkers: null }]);
    expect((await metrics.reverifications.get()).values.find((x) => x.labels.outcome === 'passed')?.value).toBe(1);
    const page = await app.request(`/portal/batches/${BATCH}/reverify`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Re-verification');
    expect(html).toContain('Re-verification <span class="badge s-pass">pass</span>');
    expect(html).not.toContain('class="badge s-fail"');
  });

  describe('the checks on tampered inputs', () => {
    let onChain: SettledOnChain;
    let input: ReverifyInput;
    beforeAll(async () => {
      onChain = (await readSettledOnChain(chain, settlement, BATCH as Hex))!;
      const batch = (await store.get(BATCH))!;
      input = { batch, plan, recorded: await store.proofs(BATCH), onChain, settlement, domain, verify: (s, p) => snarkjs.groth16.verify(vkey, s, p as snarkjs.Groth16Proof) };
    });
    const withCall = (f: (c: SettleCall) => Partial<SettleCall>): SettledOnChain => {
      const call = onChain.call as SettleCall;
      return { ...onChain, call: { ...call, ...f(call) } };
    };

    it('fails a proof that does not verify (one coordinate changed)', async () => {
      const p = [...(onChain.call as SettleCall).proofs[0]!] as unknown as bigint[];
      // A's negation: still on the curve, but not this proof.
      p[1] = 21888242871839275222246405745257275088696311157297823662689037894645226208583n - p[1]!;
      const r = await reverifyChecks({ ...input, onChain: withCall(() => ({ proofs: [p as unknown as SolidityProof] })) });
      expect(r.ok).toBe(false);
      expect(failed(r)).toEqual(['proofs']);
      expect(r.proofs[0]).toMatchObject({ verifies: false, sameAsRecorded: false });
    });

    it('fails a public input that is not the plan\'s (the proof then does not verify either)', async () => {
      const inputs = (onChain.call as SettleCall).publicInputs.map((x) => [...x]);
      inputs[0]![7] = inputs[0]![7]! + 1n; // valueOut
      const r = await reverifyChecks({ ...input, onChain: withCall(() => ({ publicInputs: inputs })) });
      expect(failed(r)).toEqual(['inputs-vs-plan', 'proofs']);
      expect(r.proofs[0]).toMatchObject({ verifies: false, inputsMatchPlan: false });
    });

    it('fails a plan the chain did not settle, a record naming another transaction, and a call of another batch id', async () => {
      const otherPlan = { ...plan, points: [plan.points[0]!, { ...plan.points[1]!, noteRoot: '12345' }] };
      expect(failed(await reverifyChecks({ ...input, plan: otherPlan }))).toEqual(['chain-vs-plan']);
      expect(failed(await reverifyChecks({ ...input, batch: { ...input.batch, settlementTx: `0x${'9'.repeat(64)}`, aggregationRoot: `0x${'8'.repeat(64)}` } }))).toEqual(['chain-record', 'aggregation-root']);
      expect(failed(await reverifyChecks({ ...input, onChain: withCall(() => ({ batchId: toHex('another', { size: 32 }) })) }))).toEqual(['settle-call']);
      expect(failed(await reverifyChecks({ ...input, domain: domain + 1n }))).toEqual(['inputs-chain']);
      expect(failed(await reverifyChecks({ ...input, onChain: null }))).toEqual(['chain-record']);
    });

    it('checks a pruned batch against its audit record: roots and transfers, the chain of points, the proofs', async () => {
      const r = await reverifyChecks({ ...input, plan: null, recorded: [] });
      expect(r.ok).toBe(true);
      expect(r.checks.find((c) => c.name === 'inputs-vs-plan')!.result).toBe('skip');
      expect(r.proofs[0]).toMatchObject({ verifies: true, inputsMatchPlan: null, sameAsRecorded: null });
      expect(failed(await reverifyChecks({ ...input, plan: null, batch: { ...input.batch, rootAfter: '1' } }))).toEqual(['chain-vs-plan']);
    });
  });
});
