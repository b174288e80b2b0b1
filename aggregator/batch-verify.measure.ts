/**
 * Quick measurement (not a test, never fails on a time): batch verification vs one-by-one at N=16 and
 * N=64. Proves 16 deposits; N=64 repeats them 4 times (each copy gets its own random weight, so the work
 * is that of 64 distinct proofs). Prints one JSON object on the last line.
 *
 *   npx tsx aggregator/batch-verify.measure.ts
 */
import * as snarkjs from 'snarkjs';
import { releaseSnarkjs } from '../worker/prover/snarkjs-runtime.ts';
import { prepareProof, verifyBatch, verifySingle, type ProofItem } from './batch-verify.ts';
import { provedDeposits } from './test-batch.ts';
import { prepareVerificationKey } from './verification-key.ts';

const RUNS = 5;

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[RUNS >> 1]! * 10) / 10;
}

const proved = await provedDeposits(16);
const t0 = performance.now();
const vk = await prepareVerificationKey(proved.vkeyJson);
const prepareVkMs = Math.round((performance.now() - t0) * 10) / 10;
const result: Record<string, number> = { prepareVkMs };
for (const n of [16, 64]) {
  const items: ProofItem[] = Array.from({ length: n }, (_, i) => proved.items[i % proved.items.length]!);
  const verdict = await verifyBatch(vk, items);
  if (!verdict.ok || verdict.checks !== 1) throw new Error('batch did not verify in one check');
  result[`batchN${n}Ms`] = await median(() => verifyBatch(vk, items));
  result[`validateOnlyN${n}Ms`] = await median(async () => items.forEach((it) => prepareProof(vk, it)));
  result[`oneByOneN${n}Ms`] = await median(async () => {
    for (const it of items) if (!(await verifySingle(vk, it))) throw new Error('single failed');
  });
  result[`snarkjsOneByOneN${n}Ms`] = await median(async () => {
    for (const it of items) if (!(await snarkjs.groth16.verify(proved.vkeyJson, it.publicSignals as string[], it.proof as snarkjs.Groth16Proof))) throw new Error('snarkjs failed');
  });
  result[`speedupN${n}`] = Math.round((result[`oneByOneN${n}Ms`]! / result[`batchN${n}Ms`]!) * 10) / 10;
}
await releaseSnarkjs();
console.log(JSON.stringify(result));
