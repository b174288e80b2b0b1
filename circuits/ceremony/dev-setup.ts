import { FIELD_ORDER } from '../model/crypto.ts';
import { BASE_FIELD_PRIME as Q } from '../../protocol/bn254.ts';
import { createFixedBasePool, type FixedBasePool } from './fixed-base/fixed-base-pool.ts';
import { AFFINE_BYTES } from './fixed-base/fixed-base-messages.ts';
import { forEachTerm, readR1cs } from './r1cs-file.ts';
import { geometric, hQueryAtTau, lagrangeAtTau } from './qap-at-tau.ts';
import { Fr, randomNonZero, toLeBytes } from './scalar-field.ts';
import { concatBytes, pointCursor, u32, writeZkey } from './bin-file.ts';
import { ptauPlan, writePtau } from './dev-ptau.ts';
import { mpcSection } from './mpc-params.ts';
import { silentProgress, type Progress } from './progress.ts';

const r = FIELD_ORDER;
/** R = 2^256 mod r; snarkjs stores the A and B coefficients multiplied by R^2. */
const R2 = (((1n << 256n) % r) * ((1n << 256n) % r)) % r;

/** The toxic waste of a Groth16 setup. Lives only inside `devSetup`; never stored, logged or returned. */
interface Secrets {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
  delta: bigint;
}

export interface DevSetupOptions {
  r1cs: string;
  /** Where the proving key goes (snarkjs .zkey format). */
  zkey: string;
  progress?: Progress;
  /** Threads for the elliptic-curve work; default one per core. */
  threads?: number;
  /**
   * Also write the phase-2-prepared powers of tau that the secrets define, and a circuit hash and
   * contribution record in the key, so that `snarkjs zkey verify r1cs ptau zkey` checks the key against
   * the circuit. Costs about 12 * 2^power more G1 and 3 * 2^power more G2 multiplications.
   */
  ptau?: string;
}

export interface DevSetupResult {
  /** log2 of the evaluation domain (snarkjs's `domainSize`). */
  power: number;
  constraints: number;
  nVars: number;
  nPublic: number;
}

/** snarkjs's domain for a circuit: room for the constraints plus one per public signal and the constant. */
export function domainPower(nConstraints: number, nPublic: number): number {
  return Math.floor(Math.log2(nConstraints + nPublic)) + 1;
}

/**
 * A single-party development setup: draws tau, alpha, beta and delta from the operating system's
 * CSPRNG, evaluates the circuit's QAP at tau and writes the Groth16 proving key as the fixed-base
 * multiples those evaluations give. gamma is the G2 generator, as in every snarkjs key. The output is
 * an ordinary snarkjs zkey: `snarkjs groth16 prove`, `zkey export verificationkey` and `zkey export
 * solidityverifier` use it unchanged.
 *
 * Whoever knows the secrets can forge proofs. They exist only in this process while it runs (JavaScript
 * cannot wipe a bigint, so "destroyed" means: dropped, never written or sent anywhere but to this
 * process's own threads). It is a development setup, not a trusted one.
 */
export async function devSetup(o: DevSetupOptions): Promise<DevSetupResult> {
  const progress = o.progress ?? silentProgress();
  const r1cs = readR1cs(o.r1cs);
  const nPub = r1cs.nPublic;
  const power = domainPower(r1cs.nConstraints, nPub);
  if (power + 1 > Fr.s) throw new RangeError(`circuit needs a 2^${power} domain; BN254 allows at most 2^${Fr.s - 1}`);
  const n = 2 ** power;
  const nPrivate = r1cs.nVars - nPub - 1;
  // Progress is measured in G1-multiplication equivalents (field work per term or domain point ~ 1/8).
  const terms = r1cs.constraints.length / 36;
  const withPtau = o.ptau ? 1 : 0;
  const work = {
    qap: Math.ceil((terms + 3 * n) / 8),
    g1: 3 + nPub + 1 + 2 * r1cs.nVars + nPrivate + n + withPtau * (n + nPrivate + 12 * n),
    g2: 3 * (3 + r1cs.nVars + withPtau * 3 * n),
  };
  const total = work.qap + work.g1 + work.g2;
  const name = `dev setup (2^${power}, ${r1cs.nConstraints} constraints)`;
  progress.step(name);
  const t0 = Date.now();
  const report = (done: number) => progress.update(name, done / total);

  const { tau, alpha, beta, delta } = drawSecrets(power);
  const deltaInv = Fr.inv(delta);

  // QAP at tau: per signal, A_s(tau), B_s(tau), C_s(tau); the coefficient section on the way.
  const lagrange = lagrangeAtTau(tau, power);
  report(n / 8);
  const A = new Array<bigint>(r1cs.nVars).fill(0n);
  const B = new Array<bigint>(r1cs.nVars).fill(0n);
  const C = new Array<bigint>(r1cs.nVars).fill(0n);
  const coefs: [number, number, number, bigint][] = [];
  forEachTerm(r1cs, (m, c, s, v) => {
    const t = (v * lagrange[c]!) % r;
    if (m === 0) {
      A[s] = (A[s]! + t) % r;
      coefs.push([0, c, s, v]);
    } else if (m === 1) {
      B[s] = (B[s]! + t) % r;
      coefs.push([1, c, s, v]);
    } else {
      C[s] = (C[s]! + t) % r;
    }
  });
  // snarkjs binds each public signal (and the constant) with an extra constraint s * 1 = 0 past the last one.
  for (let s = 0; s <= nPub; s++) {
    A[s] = (A[s]! + lagrange[r1cs.nConstraints + s]!) % r;
    coefs.push([0, r1cs.nConstraints + s, s, 1n]);
  }
  const ic: bigint[] = [];
  const cInitial: bigint[] = [];
  for (let s = 0; s < r1cs.nVars; s++) {
    const k = (beta * A[s]! + alpha * B[s]! + C[s]!) % r;
    if (s <= nPub) ic.push(k);
    else cInitial.push(k);
  }
  report((n + terms) / 8);
  const h = hQueryAtTau(tau, power).map((x) => (x * deltaInv) % r);
  const g1Scalars = [alpha, beta, delta, ...ic, ...A, ...B, ...cInitial.map((k) => (k * deltaInv) % r), ...h];
  const g2Scalars = [beta, 1n, delta, ...B];
  // With a powers of tau: what snarkjs's circuit hash covers, then the file's own points.
  const ptau = o.ptau ? ptauPlan({ tau, alpha, beta }, power) : null;
  if (ptau) {
    // (tau^(n+i) - tau^i) for i < n - 1
    const hPowers = geometric((Fr.pow(tau, BigInt(n)) - 1n + r) % r, tau, n - 1);
    // (a loop, not push(...xs): millions of arguments overflow the stack)
    for (const xs of [hPowers, cInitial, ptau.g1]) for (const x of xs) g1Scalars.push(x);
    for (const x of ptau.g2) g2Scalars.push(x);
  }
  report(work.qap);

  const pool: FixedBasePool = await createFixedBasePool(o.threads);
  let g1: Uint8Array;
  let g2: Uint8Array;
  try {
    g1 = await pool.multiply('G1', toLeBytes(g1Scalars), (d) => report(work.qap + d));
    g2 = await pool.multiply('G2', toLeBytes(g2Scalars), (d) => report(work.qap + work.g1 + 3 * d));
  } finally {
    await pool.close();
  }

  const s1 = AFFINE_BYTES.G1;
  const take1 = pointCursor(g1, s1);
  const take2 = pointCursor(g2, AFFINE_BYTES.G2);
  const [alpha1, beta1, delta1] = [take1(1), take1(1), take1(1)];
  const [beta2, gamma2, delta2] = [take2(1), take2(1), take2(1)];
  const key = {
    ic: take1(nPub + 1),
    a: take1(r1cs.nVars),
    b1: take1(r1cs.nVars),
    c: take1(nPrivate),
    h: take1(n),
    b2: take2(r1cs.nVars),
  };
  let mpc = concatBytes([new Uint8Array(64), u32(0)]); // no powers of tau: no circuit hash, no contributions
  if (ptau) {
    const hPowers = take1(n - 1);
    const c = take1(nPrivate);
    const ptauG1 = take1(ptau.g1.length);
    const ptauG2 = take2(ptau.g2.length);
    const file = writePtau(o.ptau!, power, ptauG1, ptauG2);
    const overrun = n - 1 >= 2 ** 14 ? { after: file.afterTauG1, tauPowerNMinus1: ptauG1.subarray((n - 1) * s1, n * s1) } : undefined;
    mpc = await mpcSection(
      { alpha1, beta1, beta2, ic: key.ic, hPowers, c, a: key.a, b1: key.b1, b2: key.b2, ...(overrun ? { hOverrun: overrun } : {}) },
      delta,
      'drex-swarm dev setup',
    );
  }
  const header = concatBytes([
    u32(32), toLeBytes([Q]), u32(32), toLeBytes([r]),
    u32(r1cs.nVars), u32(nPub), u32(n),
    alpha1, beta1, beta2, gamma2, delta1, delta2,
  ]);
  writeZkey(o.zkey, { header, ...key, coefficients: encodeCoefficients(coefs), mpc });
  report(total);
  progress.done(name, Date.now() - t0);
  return { power, constraints: r1cs.nConstraints, nVars: r1cs.nVars, nPublic: nPub };
}

/** Draws the secrets; tau must avoid the evaluation domains (a negligible event, checked anyway). */
function drawSecrets(power: number): Secrets {
  for (;;) {
    const tau = randomNonZero();
    if (Fr.pow(tau, BigInt(2 ** (power + 1))) === 1n) continue;
    return { tau, alpha: randomNonZero(), beta: randomNonZero(), delta: randomNonZero() };
  }
}

/** Section 4: the count, then per term (matrix, constraint, signal u32, coefficient * R^2 mod r). */
function encodeCoefficients(coefs: readonly [number, number, number, bigint][]): Uint8Array {
  const out = Buffer.alloc(4 + coefs.length * 44);
  out.writeUInt32LE(coefs.length, 0);
  const values = toLeBytes(coefs.map((c) => (c[3] * R2) % r));
  for (let i = 0; i < coefs.length; i++) {
    const o = 4 + i * 44;
    out.writeUInt32LE(coefs[i]![0], o);
    out.writeUInt32LE(coefs[i]![1], o + 4);
    out.writeUInt32LE(coefs[i]![2], o + 8);
    out.set(values.subarray(i * 32, i * 32 + 32), o + 12);
  }
  return out;
}
