import { DrexError } from './errors.ts';
/**
 * The on-chain encoding of a Groth16 proof, shared by the aggregator (which commits to it in the
 * aggregation tree) and the ledger bridge (which sends it to the settlement contract).
 *
 * uint256[8] = [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]: the order of snarkjs's Solidity
 * verifier and of the EIP-197 pairing precompile (G2 coordinates imaginary part first).
 */
export type SolidityProof = readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** A proof as snarkjs writes it (decimal strings, projective coordinates with z = 1). */
export interface SnarkjsProof {
  pi_a: readonly string[];
  pi_b: readonly (readonly string[])[];
  pi_c: readonly string[];
  protocol?: string;
  curve?: string;
}

/** Raised when a proof object is not a well-formed snarkjs Groth16 proof. */
export class ProofEncodingError extends DrexError {
  override name = 'ProofEncodingError';
  readonly code = 'PROOF_MALFORMED';
}

function dec(x: unknown, what: string): bigint {
  if (typeof x !== 'string' || !/^\d{1,78}$/.test(x)) throw new ProofEncodingError(`${what} is not a decimal field element`);
  return BigInt(x);
}

/** snarkjs proof -> uint256[8] in precompile order. */
export function toSolidityProof(p: SnarkjsProof): SolidityProof {
  if (!p || !Array.isArray(p.pi_a) || !Array.isArray(p.pi_b) || !Array.isArray(p.pi_c) || p.pi_b.length < 2) {
    throw new ProofEncodingError('proof must have pi_a, pi_b (2x2) and pi_c');
  }
  const b0 = p.pi_b[0]!;
  const b1 = p.pi_b[1]!;
  return [
    dec(p.pi_a[0], 'pi_a[0]'),
    dec(p.pi_a[1], 'pi_a[1]'),
    dec(b0[1], 'pi_b[0][1]'),
    dec(b0[0], 'pi_b[0][0]'),
    dec(b1[1], 'pi_b[1][1]'),
    dec(b1[0], 'pi_b[1][0]'),
    dec(p.pi_c[0], 'pi_c[0]'),
    dec(p.pi_c[1], 'pi_c[1]'),
  ];
}

/** uint256[8] -> snarkjs proof (z = 1). */
export function fromSolidityProof(s: SolidityProof): SnarkjsProof {
  return {
    pi_a: [String(s[0]), String(s[1]), '1'],
    pi_b: [
      [String(s[3]), String(s[2])],
      [String(s[5]), String(s[4])],
      ['1', '0'],
    ],
    pi_c: [String(s[6]), String(s[7]), '1'],
    protocol: 'groth16',
    curve: 'bn128',
  };
}
