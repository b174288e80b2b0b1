/**
 * The values of the quotient polynomial h = (A*B - C)/Z that Groth16's H query is multiplied with,
 * computed as snarkjs 0.7.6 computes them (groth16_prove.js): A, B and C = A*B evaluated on the domain
 * from the key's coefficients and the witness; each interpolated (ifft), shifted to the odd coset
 * (batchApplyKey by the 2^(power+1)-th root of unity, or Fr.shift on the largest domain) and evaluated
 * there (fft); then joined as (A*B - C)/Z per point (`qap_joinABC`) and taken out of Montgomery form.
 *
 * The A, B, C evaluation runs wasmcurves' `qap_buildABC` (the loop of snarkjs's buildABC1, compiled) on
 * the curve's threads, each thread over its own range of constraints; the result is the same.
 */
import type { Curve, TaskStep } from './curve.ts';
import { SCALAR_BYTES, type ProvingKey } from './proving-key.ts';

/**
 * h's values on the odd coset: domainSize scalars, 32-byte little-endian, standard form. `witness`:
 * nVars scalars in the same form.
 */
export async function computeQuotient(curve: Curve, pk: ProvingKey, witness: Uint8Array): Promise<Uint8Array> {
  const Fr = curve.Fr;
  const [a, b, c] = await buildABC(curve, pk, witness);
  const inc = pk.power === Fr.s ? Fr.shift : Fr.w[pk.power + 1]!;
  const one = Fr.e(1);
  const toOddCoset = async (evals: Uint8Array) => Fr.fft(await Fr.batchApplyKey(await Fr.ifft(evals), one, inc));
  // The three chains share the thread pool; run together, one fills the gaps the others leave.
  const [aOdd, bOdd, cOdd] = await Promise.all([toOddCoset(a), toOddCoset(b), toOddCoset(c)]);
  return joinABC(curve, aOdd, bOdd, cOdd);
}

/** Contiguous ranges [start, start + n) that split `total` items over `parts`, none empty. */
function ranges(total: number, parts: number): [start: number, n: number][] {
  const k = Math.max(1, Math.min(parts, total));
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) {
    const start = Math.floor((i * total) / k);
    out.push([start, Math.floor(((i + 1) * total) / k) - start]);
  }
  return out;
}

const coefficientBodies = new WeakMap<ProvingKey, { nCoefs: number; body: Uint8Array }>();

/** The key's coefficients without their count, in a buffer of their own (made once per key). */
function coefficientsOf(pk: ProvingKey): { nCoefs: number; body: Uint8Array } {
  let c = coefficientBodies.get(pk);
  if (!c) {
    const coefs = pk.sections.coefficients;
    c = { nCoefs: new DataView(coefs.buffer, coefs.byteOffset, 4).getUint32(0, true), body: coefs.slice(4) };
    coefficientBodies.set(pk, c);
  }
  return c;
}

/** A, B (Montgomery form) and C = A*B on the domain: one `qap_buildABC` task per range of constraints. */
async function buildABC(curve: Curve, pk: ProvingKey, witness: Uint8Array): Promise<[Uint8Array, Uint8Array, Uint8Array]> {
  const { nCoefs, body } = coefficientsOf(pk);
  // A task clones the whole buffer behind a view: hand it a buffer of the witness's own.
  const w = witness.byteOffset === 0 && witness.byteLength === witness.buffer.byteLength ? witness : witness.slice();
  const parts = ranges(pk.domainSize, curve.tm.concurrency);
  const results = await Promise.all(
    parts.map(([start, n]) => {
      const len = n * SCALAR_BYTES;
      const task: TaskStep[] = [
        { cmd: 'ALLOCSET', var: 0, buff: body },
        { cmd: 'ALLOCSET', var: 1, buff: w },
        { cmd: 'ALLOC', var: 2, len },
        { cmd: 'ALLOC', var: 3, len },
        { cmd: 'ALLOC', var: 4, len },
        {
          cmd: 'CALL',
          fnName: 'qap_buildABC',
          params: [{ var: 0 }, { val: nCoefs }, { var: 1 }, { var: 2 }, { var: 3 }, { var: 4 }, { val: start }, { val: n }, { val: 0 }, { val: pk.nVars }],
        },
        { cmd: 'GET', out: 0, var: 2, len },
        { cmd: 'GET', out: 1, var: 3, len },
        { cmd: 'GET', out: 2, var: 4, len },
      ];
      return curve.tm.queueAction(task);
    }),
  );
  const size = pk.domainSize * SCALAR_BYTES;
  const out: [Uint8Array, Uint8Array, Uint8Array] = [new Uint8Array(size), new Uint8Array(size), new Uint8Array(size)];
  results.forEach((r, i) => {
    const at = parts[i]![0] * SCALAR_BYTES;
    for (let m = 0; m < 3; m++) out[m]!.set(r[m]!, at);
  });
  return out;
}

/** (A*B - C)/Z on the odd coset, out of Montgomery form: `qap_joinABC` + `frm_batchFromMontgomery` per range. */
async function joinABC(curve: Curve, a: Uint8Array, b: Uint8Array, c: Uint8Array): Promise<Uint8Array> {
  const n8 = SCALAR_BYTES;
  const parts = ranges(a.byteLength / n8, curve.tm.concurrency);
  const results = await Promise.all(
    parts.map(([start, n]) => {
      const from = start * n8;
      const to = (start + n) * n8;
      const task: TaskStep[] = [
        { cmd: 'ALLOCSET', var: 0, buff: a.slice(from, to) },
        { cmd: 'ALLOCSET', var: 1, buff: b.slice(from, to) },
        { cmd: 'ALLOCSET', var: 2, buff: c.slice(from, to) },
        { cmd: 'ALLOC', var: 3, len: n * n8 },
        { cmd: 'CALL', fnName: 'qap_joinABC', params: [{ var: 0 }, { var: 1 }, { var: 2 }, { val: n }, { var: 3 }] },
        { cmd: 'CALL', fnName: 'frm_batchFromMontgomery', params: [{ var: 3 }, { val: n }, { var: 3 }] },
        { cmd: 'GET', out: 0, var: 3, len: n * n8 },
      ];
      return curve.tm.queueAction(task);
    }),
  );
  const out = new Uint8Array(a.byteLength);
  results.forEach((r, i) => out.set(r[0]!, parts[i]![0] * n8));
  return out;
}
