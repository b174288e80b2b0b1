import { FIELD_ORDER } from '../model/crypto.ts';
import { batchInverse, Fr } from './scalar-field.ts';
import { DrexError } from '../../protocol/errors.ts';

const r = FIELD_ORDER;

/** Raised when tau falls on an evaluation domain (probability ~2^-233): draw another. */
export class TauOnDomainError extends DrexError {
  override name = 'TauOnDomainError';
  readonly code = 'TAU_ON_DOMAIN';
}

/** `n` terms start, start*step, start*step^2, ... mod r. */
export function geometric(start: bigint, step: bigint, n: number): bigint[] {
  const out = new Array<bigint>(n);
  let x = start;
  for (let i = 0; i < n; i++) {
    out[i] = x;
    x = (x * step) % r;
  }
  return out;
}

/**
 * The Lagrange basis of the domain of size 2^power (root `Fr.w[power]`, the one snarkjs's FFTs use)
 * evaluated at tau: L_j(tau) = (tau^n - 1) / n * w^j / (tau - w^j), for j = 0..n-1.
 */
export function lagrangeAtTau(tau: bigint, power: number): bigint[] {
  const n = 2 ** power;
  const zn = (Fr.pow(tau, BigInt(n)) - 1n + r) % r;
  if (zn === 0n) throw new TauOnDomainError(`tau lies on the 2^${power} domain`);
  const factor = (zn * Fr.inv(BigInt(n))) % r;
  const points = geometric(1n, Fr.w[power]!, n);
  const inv = batchInverse(points.map((x) => (tau - x + r) % r));
  return points.map((x, j) => (((factor * x) % r) * inv[j]!) % r);
}

/**
 * The Lagrange basis at tau as snarkjs's `powersoftau prepare phase2` builds its largest level: the
 * inverse FFT of tau^0..tau^(M-2) with the last power left out, i.e. L_j(tau) - tau^(M-1) * w^j / M.
 */
export function truncatedLagrangeAtTau(tau: bigint, power: number): bigint[] {
  const m = BigInt(2 ** power);
  const last = (Fr.pow(tau, m - 1n) * Fr.inv(m)) % r;
  let x = 1n;
  return lagrangeAtTau(tau, power).map((l) => {
    const v = (l - ((last * x) % r) + r) % r;
    x = (x * Fr.w[power]!) % r;
    return v;
  });
}

/**
 * The scalars of snarkjs's H query for a domain of size n = 2^power, before division by delta.
 *
 * snarkjs's prover evaluates a(x)b(x) - c(x) on the odd points u_i = w_2n^(2i+1) of the doubled domain
 * and takes its MSM with points that a prepared powers of tau stores as the Lagrange basis of size
 * M = 2n at odd indices. At the largest size a prepared file holds, snarkjs builds that basis from the
 * powers tau^0..tau^(M-2) only (the last is set to zero), which changes each point by
 * -tau^(M-1) * u_i / M; both are correct for polynomials of degree < M - 1. We use snarkjs's variant, so
 * the key equals the one snarkjs would derive from a powers of tau of exactly this size. These are the odd
 * entries of `truncatedLagrangeAtTau(tau, power + 1)`, computed directly.
 */
export function hQueryAtTau(tau: bigint, power: number): bigint[] {
  if (power + 1 > Fr.s) throw new RangeError(`domain 2^${power} is too large for BN254 (at most 2^${Fr.s - 1})`);
  const n = 2 ** power;
  const m = BigInt(2 * n);
  const zm = (Fr.pow(tau, m) - 1n + r) % r;
  if (zm === 0n) throw new TauOnDomainError(`tau lies on the 2^${power + 1} domain`);
  const mInv = Fr.inv(m);
  const factor = (zm * mInv) % r;
  const lastPower = (Fr.pow(tau, m - 1n) * mInv) % r;
  const wm = Fr.w[power + 1]!;
  const odd = geometric(wm, Fr.w[power]!, n);
  const inv = batchInverse(odd.map((u) => (tau - u + r) % r));
  return odd.map((u, i) => {
    const l = (((factor * u) % r) * inv[i]!) % r;
    return (l - ((lastPower * u) % r) + r) % r;
  });
}
