import type { Address } from 'viem';
import { settlementDifferences } from '../../ledger-bridge/client.ts';
import { fromSolidityProof, type SnarkjsProof } from '../../protocol/groth16-encoding.ts';
import { describePoint, pointAfter, pointBefore, pointOfWire, samePoint } from '../../protocol/ledger-point.ts';
import { TRANSFER_PUBLIC_INPUTS as IX } from '../../protocol/transfer-public-inputs.ts';
import type { BatchRecord, StoredPlan, StoredProof } from '../store/batch-store.ts';
import type { SettledOnChain } from './settled-call.ts';

/** One check of a re-verification: passed, failed, or skipped (with why). */
export interface ReverifyCheck {
  name: 'chain-record' | 'aggregation-root' | 'settle-call' | 'chain-vs-plan' | 'inputs-vs-plan' | 'inputs-chain' | 'proofs';
  result: 'pass' | 'fail' | 'skip';
  detail: string;
}

/** One settled proof: whether it verifies, and how it compares with the plan and the recorded proof. */
export interface ProofCheck {
  index: number;
  /** The Groth16 check against the circuit's verification key with the public inputs the chain got. */
  verifies: boolean;
  /** Its public inputs are the plan's for this index (null: the plan was pruned). */
  inputsMatchPlan: boolean | null;
  /** It is the proof the aggregator's verdict recorded (null: none recorded any more). */
  sameAsRecorded: boolean | null;
  /** The worker the verdict named (null: not recorded). */
  workerId: string | null;
  halfWorkers: [string, string] | null;
}

/** The outcome of re-verifying a settled batch: every check, every proof, and `ok` when nothing failed. */
export interface ReverifyReport {
  batchId: string;
  ok: boolean;
  settlement: { txHash: string; block: number; aggregationRoot: string; functionName: string | null } | null;
  checks: ReverifyCheck[];
  proofs: ProofCheck[];
  checkedAtMs: number;
  durationMs: number;
}

export interface ReverifyInput {
  batch: BatchRecord;
  /** Its plan (null once pruned: then the record's roots and transfer count stand in for it). */
  plan: StoredPlan | null;
  /** The proofs the verdicts recorded ([] once pruned). */
  recorded: readonly StoredProof[];
  /** What the chain holds under the batch id (null: nothing). */
  onChain: SettledOnChain | null;
  settlement: Address;
  /** The deployment's domain: every proof's domain input must be it. */
  domain?: bigint;
  /** Groth16-verifies one proof with its public signals (against the circuit's verification key). */
  verify: (publicSignals: string[], proof: SnarkjsProof) => Promise<boolean>;
}

const same = (a: readonly (string | bigint)[], b: readonly (string | bigint)[]) => a.length === b.length && a.every((x, i) => String(x) === String(b[i]));
const pass = (name: ReverifyCheck['name'], detail: string): ReverifyCheck => ({ name, result: 'pass', detail });
const fail = (name: ReverifyCheck['name'], detail: string): ReverifyCheck => ({ name, result: 'fail', detail });
const skip = (name: ReverifyCheck['name'], detail: string): ReverifyCheck => ({ name, result: 'skip', detail });

/** Whether the recorded proof object is the settled one (compared in the chain's encoding). */
function sameProof(recorded: StoredProof | undefined, settled: SnarkjsProof): boolean | null {
  if (!recorded) return null;
  const r = recorded.proof as SnarkjsProof;
  try {
    return same([r.pi_a[0]!, r.pi_a[1]!, ...r.pi_b[0]!.slice(0, 2), ...r.pi_b[1]!.slice(0, 2), r.pi_c[0]!, r.pi_c[1]!], [settled.pi_a[0]!, settled.pi_a[1]!, ...settled.pi_b[0]!.slice(0, 2), ...settled.pi_b[1]!.slice(0, 2), settled.pi_c[0]!, settled.pi_c[1]!]);
  } catch {
    return false;
  }
}

/**
 * Re-verifies a settled batch off-chain against what the chain recorded: the chain's record is the
 * batch's (transaction, block, aggregation root); the settling call is a settlement of this batch id on
 * the configured contract; the chain's record and every public input are the plan's (or, once the plan
 * was pruned, its roots and transfer count); the proofs' ledger points chain from the root before to
 * the point after, each in the deployment's domain; and every proof verifies (Groth16, snarkjs) with
 * the public inputs the chain got. Proofs are verified one at a time, yielding in between.
 */
export async function reverifyChecks(i: ReverifyInput, now = Date.now): Promise<ReverifyReport> {
  const t0 = now();
  const { batch, plan, onChain } = i;
  const checks: ReverifyCheck[] = [];
  const proofs: ProofCheck[] = [];
  const done = (): ReverifyReport => ({
    batchId: batch.id,
    ok: checks.every((c) => c.result !== 'fail'),
    settlement: onChain
      ? { txHash: onChain.record.txHash, block: Number(onChain.record.blockNumber), aggregationRoot: onChain.record.aggregationRoot, functionName: 'problem' in onChain.call ? null : onChain.call.functionName }
      : null,
    checks,
    proofs,
    checkedAtMs: t0,
    durationMs: now() - t0,
  });
  if (!onChain) {
    checks.push(fail('chain-record', `the chain holds no settlement under batch id ${batch.id}, though the batch is recorded SETTLED in tx ${batch.settlementTx || '(none)'}`));
    return done();
  }
  const { record, call } = onChain;
  const sameTx = record.txHash.toLowerCase() === batch.settlementTx.toLowerCase() && Number(record.blockNumber) === batch.block;
  checks.push(
    sameTx
      ? pass('chain-record', `settled in tx ${record.txHash}, block ${record.blockNumber}, as recorded`)
      : fail('chain-record', `the chain's settlement is tx ${record.txHash} in block ${record.blockNumber}; the batch record says tx ${batch.settlementTx || '(none)'} in block ${batch.block}`),
  );
  if (!batch.aggregationRoot) checks.push(skip('aggregation-root', `the batch record holds no aggregation root; the chain's is ${record.aggregationRoot}`));
  else if (batch.aggregationRoot.toLowerCase() === record.aggregationRoot.toLowerCase()) checks.push(pass('aggregation-root', `the chain's aggregation root ${record.aggregationRoot} is the recorded one`));
  else checks.push(fail('aggregation-root', `the chain's aggregation root ${record.aggregationRoot} is not the recorded ${batch.aggregationRoot}`));

  // The chain's record against the plan.
  if (plan) {
    const diff = settlementDifferences(record, { noteRootBefore: pointOfWire(plan.points[0]!).noteRoot, after: pointOfWire(plan.points.at(-1)!), transfers: batch.transfers });
    checks.push(diff.length === 0 ? pass('chain-vs-plan', `the chain went from the planned note root to the planned ledger point with ${record.transfers} transfers`) : fail('chain-vs-plan', diff.join('; ')));
  } else {
    const diff: string[] = [];
    if (String(record.noteRootBefore) !== batch.rootBefore) diff.push(`note root before ${record.noteRootBefore} (recorded ${batch.rootBefore})`);
    if (String(record.after.noteRoot) !== batch.rootAfter) diff.push(`note root after ${record.after.noteRoot} (recorded ${batch.rootAfter})`);
    if (record.transfers !== batch.transfers) diff.push(`${record.transfers} transfers (recorded ${batch.transfers})`);
    checks.push(diff.length === 0 ? pass('chain-vs-plan', 'the plan was pruned: the chain\'s roots and transfer count are the audit record\'s') : fail('chain-vs-plan', diff.join('; ')));
  }

  if ('problem' in call) {
    checks.push(fail('settle-call', call.problem));
    return done();
  }
  const callProblems: string[] = [];
  if (call.to?.toLowerCase() !== i.settlement.toLowerCase()) callProblems.push(`it calls ${call.to ?? '(contract creation)'}, not the settlement contract ${i.settlement}`);
  if (call.batchId.toLowerCase() !== batch.id.toLowerCase()) callProblems.push(`it settles batch id ${call.batchId}`);
  if (call.proofs.length === 0 || call.proofs.length !== call.publicInputs.length) callProblems.push(`${call.proofs.length} proofs with ${call.publicInputs.length} public-input lists`);
  checks.push(callProblems.length === 0 ? pass('settle-call', `${call.functionName} of this batch id with ${call.proofs.length} proofs`) : fail('settle-call', callProblems.join('; ')));
  if (callProblems.length > 0) return done();

  // The public inputs against the plan, and their chain of ledger points.
  if (plan) {
    const bad = call.publicInputs.flatMap((x, k) => (plan.proofs[k] && same(x, plan.proofs[k]!.publicSignals) ? [] : [k]));
    const count = call.publicInputs.length === plan.proofs.length ? '' : `${call.publicInputs.length} proofs settled, ${plan.proofs.length} planned; `;
    checks.push(bad.length === 0 && !count ? pass('inputs-vs-plan', `every proof's public inputs are the plan's (${plan.proofs.length} proofs)`) : fail('inputs-vs-plan', `${count}${bad.length ? `public inputs of proof(s) ${bad.join(', ')} differ from the plan` : ''}`.replace(/; $/, '')));
  } else {
    checks.push(skip('inputs-vs-plan', 'the plan was pruned: the chain of ledger points below stands in for it'));
  }
  const chainProblems: string[] = [];
  const start = { noteRoot: record.noteRootBefore, noteIndex: pointBefore(call.publicInputs[0]!).noteIndex, nullRoot: pointBefore(call.publicInputs[0]!).nullRoot };
  if (pointBefore(call.publicInputs[0]!).noteRoot !== record.noteRootBefore) chainProblems.push(`proof 0 starts at ${describePoint(pointBefore(call.publicInputs[0]!))}, the chain's record at note root ${start.noteRoot}`);
  for (let k = 1; k < call.publicInputs.length; k++) {
    if (!samePoint(pointAfter(call.publicInputs[k - 1]!), pointBefore(call.publicInputs[k]!))) chainProblems.push(`proof ${k} does not start where proof ${k - 1} ends`);
  }
  if (!samePoint(pointAfter(call.publicInputs.at(-1)!), record.after)) chainProblems.push(`the last proof ends at ${describePoint(pointAfter(call.publicInputs.at(-1)!))}, the chain's record at ${describePoint(record.after)}`);
  const transfers = call.publicInputs.reduce((s, x) => s + Number(x[IX.transfers]), 0);
  if (transfers !== record.transfers) chainProblems.push(`the proofs carry ${transfers} transfers, the chain's record ${record.transfers}`);
  if (i.domain !== undefined) {
    const other = call.publicInputs.flatMap((x, k) => (x[IX.domain] === i.domain ? [] : [k]));
    if (other.length) chainProblems.push(`proof(s) ${other.join(', ')} are not in this deployment's domain`);
  }
  checks.push(chainProblems.length === 0 ? pass('inputs-chain', `the ${call.publicInputs.length} proofs chain from the note root before to the ledger point after, ${transfers} transfers${i.domain !== undefined ? ', all in this deployment\'s domain' : ''}`) : fail('inputs-chain', chainProblems.join('; ')));

  // Every proof, verified with the public inputs the chain got.
  const recordedBy = new Map(i.recorded.map((p) => [p.index, p]));
  for (let k = 0; k < call.proofs.length; k++) {
    const snark = fromSolidityProof(call.proofs[k]!);
    const signals = call.publicInputs[k]!.map(String);
    let verifies = false;
    try {
      verifies = await i.verify(signals, snark);
    } catch {
      verifies = false;
    }
    const rec = recordedBy.get(k);
    const halves = (rec as { halfWorkers?: [string, string] } | undefined)?.halfWorkers;
    proofs.push({
      index: k,
      verifies,
      inputsMatchPlan: plan ? Boolean(plan.proofs[k] && same(signals, plan.proofs[k]!.publicSignals)) : null,
      sameAsRecorded: sameProof(rec, snark),
      workerId: rec?.workerId ?? null,
      halfWorkers: halves ?? null,
    });
    await new Promise((r) => setImmediate(r));
  }
  const failed = proofs.filter((p) => !p.verifies).map((p) => p.index);
  checks.push(failed.length === 0 ? pass('proofs', `all ${proofs.length} proofs verify against the circuit's verification key`) : fail('proofs', `proof(s) ${failed.join(', ')} do not verify`));
  return done();
}
