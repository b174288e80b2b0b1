/**
 * Audits of a compiled circuit against a real witness: is every private input still a witness signal
 * after `--O2`, and is every private witness value pinned (changing it alone breaks some constraint)?
 */
import { readFileSync } from 'node:fs';
import { FIELD_ORDER } from '../model/crypto.ts';
import { forEachTerm, readLe, type R1cs } from '../ceremony/r1cs-file.ts';
import { readBinSections } from '../../prover/bin-file.ts';

/** The values of a .wtns file's witness (section 2: 32-byte little-endian scalars). */
export function witnessValues(wtns: Uint8Array): bigint[] {
  const body = readBinSections(wtns, 'wtns', (_p, detail) => new Error(`witness file: ${detail}`)).get(2);
  if (!body) throw new Error('witness file: no witness section');
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Array.from({ length: body.byteLength / 32 }, (_, i) => readLe(buf, i * 32));
}

const mod = (x: bigint) => ((x % FIELD_ORDER) + FIELD_ORDER) % FIELD_ORDER;

/** Per constraint: its terms as (signal, a, b, c) coefficients, merged by signal. */
function forEachConstraint(r1cs: R1cs, visit: (constraint: number, terms: Map<number, [bigint, bigint, bigint]>) => void): void {
  let current = -1;
  let terms = new Map<number, [bigint, bigint, bigint]>();
  forEachTerm(r1cs, (m, c, s, v) => {
    if (c !== current) {
      if (current >= 0) visit(current, terms);
      current = c;
      terms = new Map();
    }
    const t = terms.get(s) ?? [0n, 0n, 0n];
    t[m] = mod(t[m] + v);
    terms.set(s, t);
  });
  if (current >= 0) visit(current, terms);
}

/** Indices of the constraints that `witness` (signal 0 = 1) does not satisfy. */
export function failedConstraints(r1cs: R1cs, witness: readonly bigint[]): number[] {
  const failed: number[] = [];
  forEachConstraint(r1cs, (c, terms) => {
    let a = 0n, b = 0n, cc = 0n;
    for (const [s, [x, y, z]] of terms) {
      const w = witness[s]!;
      a += x * w;
      b += y * w;
      cc += z * w;
    }
    if (mod(mod(a) * mod(b) - cc) !== 0n) failed.push(c);
  });
  return failed;
}

/**
 * Private witness signals (index > nPublic) that can change by +1 with every constraint still satisfied:
 * values the proof does not pin. Exact: for a satisfied constraint A*B = C, moving signal s by 1 leaves it
 * satisfied iff a*B + b*A + a*b - c = 0, where a, b, c are s's coefficients and A, B the rows' values.
 */
export function unpinnedSignals(r1cs: R1cs, witness: readonly bigint[]): number[] {
  const pinned = new Uint8Array(r1cs.nVars);
  forEachConstraint(r1cs, (_c, terms) => {
    let A = 0n, B = 0n;
    for (const [s, [x, y]] of terms) {
      A += x * witness[s]!;
      B += y * witness[s]!;
    }
    A = mod(A);
    B = mod(B);
    for (const [s, [x, y, z]] of terms) {
      if (!pinned[s] && mod(x * B + y * A + x * y - z) !== 0n) pinned[s] = 1;
    }
  });
  const out: number[] = [];
  for (let s = r1cs.nPublic + 1; s < r1cs.nVars; s++) if (!pinned[s]) out.push(s);
  return out;
}

/** The witness index of every signal of `main` named in the .sym file (-1: removed by the optimizer). */
export function mainSignals(symFile: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(symFile, 'utf8').split('\n')) {
    const [, witness, , name] = line.split(',');
    if (name?.startsWith('main.') && !name.slice(5).includes('.')) out.set(name.slice(5), Number(witness));
  }
  return out;
}

/** Every scalar signal name of a circuit input object: `x`, `x[0]`, `x[0][1]`, ... */
export function inputSignalNames(input: Record<string, unknown>): string[] {
  const names: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(`${prefix}[${i}]`, x));
    else names.push(prefix);
  };
  for (const [k, v] of Object.entries(input)) walk(k, v);
  return names;
}
