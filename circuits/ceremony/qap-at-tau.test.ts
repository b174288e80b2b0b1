import { describe, expect, it } from 'vitest';
import { FIELD_ORDER } from '../model/crypto.ts';
import { hQueryAtTau, lagrangeAtTau } from './qap-at-tau.ts';
import { Fr, randomNonZero } from './scalar-field.ts';

const r = FIELD_ORDER;
const sum = (xs: bigint[]) => xs.reduce((a, b) => (a + b) % r, 0n);

describe('lagrangeAtTau', () => {
  it('interpolates 1 and x at tau over the 2^k domain snarkjs uses', () => {
    const tau = randomNonZero();
    const L = lagrangeAtTau(tau, 6);
    expect(L).toHaveLength(64);
    expect(sum(L)).toBe(1n);
    let x = 1n;
    const xs = L.map((l) => {
      const t = (l * x) % r;
      x = (x * Fr.w[6]!) % r;
      return t;
    });
    expect(sum(xs)).toBe(tau);
  });

  it('refuses a tau on the domain', () => {
    expect(() => lagrangeAtTau(Fr.w[4]!, 4)).toThrow(/domain/);
  });
});

describe('hQueryAtTau', () => {
  it('gives sum p(u_i) H_i = p(tau) for a polynomial of degree < 2n - 1 that vanishes on the domain', () => {
    const power = 4;
    const n = 2 ** power;
    const tau = randomNonZero();
    const H = hQueryAtTau(tau, power);
    // p(x) = (x^n - 1) * q(x) with q of degree n - 2 (a*b - c has this form for a satisfied circuit)
    const q = Array.from({ length: n - 1 }, () => randomNonZero());
    const p = (x: bigint) => {
      let acc = 0n;
      for (let i = q.length - 1; i >= 0; i--) acc = (acc * x + q[i]!) % r;
      return (acc * ((Fr.pow(x, BigInt(n)) - 1n + r) % r)) % r;
    };
    let u = Fr.w[power + 1]!;
    let total = 0n;
    for (let i = 0; i < n; i++) {
      total = (total + p(u) * H[i]!) % r;
      u = (u * Fr.w[power]!) % r;
    }
    expect(total).toBe(p(tau));
  });
});
