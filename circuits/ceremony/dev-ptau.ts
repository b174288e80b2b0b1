import { FIELD_ORDER } from '../model/crypto.ts';
import { BASE_FIELD_PRIME as Q } from '../../protocol/bn254.ts';
import { geometric, lagrangeAtTau, truncatedLagrangeAtTau } from './qap-at-tau.ts';
import { toLeBytes } from './scalar-field.ts';
import { AFFINE_BYTES } from './fixed-base/fixed-base-messages.ts';
import { pointCursor, u32, writeBinFile } from './bin-file.ts';

const r = FIELD_ORDER;

/** The secrets a powers of tau is made of. */
export interface PtauSecrets {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
}

/** What to multiply for a prepared powers of tau of size 2^power, and where each section's points start. */
export interface PtauPlan {
  power: number;
  g1: bigint[];
  g2: bigint[];
}

/** Every level of the Lagrange basis at tau, 2^0 .. 2^top, concatenated (the layout of sections 12-15). */
function lagrangeLevels(tau: bigint, top: number, truncatedTop: boolean): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k <= top; k++) {
    const level = truncatedTop && k === top ? truncatedLagrangeAtTau(tau, k) : lagrangeAtTau(tau, k);
    for (const x of level) out.push(x);
  }
  return out;
}

/**
 * The scalars of a phase-2-prepared snarkjs powers of tau of size 2^power made from known secrets, in
 * file order: G1 = tau powers (2^(p+1) - 1), alpha*tau powers, beta*tau powers, the Lagrange basis at
 * every level 0..p+1 (the top level as snarkjs's prepare step builds it, without the last power), then
 * alpha and beta times the Lagrange basis at levels 0..p; G2 = tau powers (2^p), beta, the Lagrange
 * basis at levels 0..p.
 */
export function ptauPlan(s: PtauSecrets, power: number): PtauPlan {
  const n = 2 ** power;
  const lagrange = lagrangeLevels(s.tau, power, false);
  const g1 = [
    ...geometric(1n, s.tau, 2 * n - 1),
    ...geometric(s.alpha, s.tau, n),
    ...geometric(s.beta, s.tau, n),
    ...lagrangeLevels(s.tau, power + 1, true),
    ...lagrange.map((x) => (x * s.alpha) % r),
    ...lagrange.map((x) => (x * s.beta) % r),
  ];
  const g2 = [...geometric(1n, s.tau, n), s.beta, ...lagrange];
  return { power, g1, g2 };
}

/**
 * Writes the ptau file from the points of `ptauPlan`'s scalars (affine LEM, same order), sections in
 * snarkjs's order. Returns the 64 bytes that follow the tau-powers section (see `mpcSection`).
 */
export function writePtau(path: string, power: number, g1: Uint8Array, g2: Uint8Array): { afterTauG1: Uint8Array } {
  const n = 2 ** power;
  const levels = 2 * n - 1; // points in levels 0..p
  const take1 = pointCursor(g1, AFFINE_BYTES.G1);
  const take2 = pointCursor(g2, AFFINE_BYTES.G2);
  const header = Buffer.alloc(4 + 32 + 8);
  header.writeUInt32LE(32, 0);
  header.set(toLeBytes([Q]), 4);
  header.writeUInt32LE(power, 36);
  header.writeUInt32LE(power, 40);
  const tauG1 = take1(2 * n - 1);
  const alphaTau = take1(n);
  const betaTau = take1(n);
  const lagrangeG1 = take1(levels + 2 * n);
  const alphaLagrange = take1(levels);
  const betaLagrange = take1(levels);
  const tauG2 = take2(n);
  const betaG2 = take2(1);
  const lagrangeG2 = take2(levels);
  const afterTauG1 = Buffer.alloc(64);
  afterTauG1.writeUInt32LE(3, 0);
  afterTauG1.writeBigUInt64LE(BigInt(tauG2.byteLength), 4);
  afterTauG1.set(tauG2.subarray(0, 52), 12);
  writeBinFile(path, 'ptau', [
    [1, header],
    [2, tauG1],
    [3, tauG2],
    [4, alphaTau],
    [5, betaTau],
    [6, betaG2],
    [7, u32(0)], // no contributions: one process knew the secrets
    [12, lagrangeG1],
    [13, lagrangeG2],
    [14, alphaLagrange],
    [15, betaLagrange],
  ]);
  return { afterTauG1 };
}
