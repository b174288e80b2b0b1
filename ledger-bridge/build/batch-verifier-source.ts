/**
 * Generates `BatchVerifier.sol` from a snarkjs Groth16 verification key, so that the on-chain batch
 * verifier always carries the constants of the artifacts it is built with.
 *
 * The contract checks N proofs with ONE call to the pairing precompile (N + 3 pairs):
 *   prod_i e(-r_i A_i, B_i) * e((sum r_i) alpha, beta) * e(sum_i r_i vk_x_i, gamma) * e(sum r_i C_i, delta) == 1
 * with r_0 = 1 and r_i = low 128 bits of keccak256(seed, i), seed = keccak256 of every proof and public
 * input (Fiat-Shamir), and sum_i r_i vk_x_i = (sum r_i) IC_0 + sum_j (sum_i r_i x_ij) IC_j, so the
 * verification key costs 1 + nPublic scalar multiplications per batch, not per proof.
 *
 * Each precompile call gets a fixed gas amount (its EIP-1108 price plus a margin, PRECOMPILE_GAS), checked
 * to be available first: a gas limit too low for the verification reverts `InsufficientGas` (retry with
 * more gas), and only a call that fails with its full amount means invalid input (verify returns false).
 */
import { encodePacked, keccak256, toFunctionSelector, type Hex } from 'viem';
import { DrexError } from '../../protocol/errors.ts';
import { TRANSFER_PUBLIC_INPUTS } from '../../protocol/transfer-public-inputs.ts';

/** The fields of snarkjs's verification_key.json that the verifier needs. */
export interface Groth16VerificationKey {
  protocol?: string;
  curve?: string;
  nPublic: number;
  vk_alpha_1: readonly string[];
  vk_beta_2: readonly (readonly string[])[];
  vk_gamma_2: readonly (readonly string[])[];
  vk_delta_2: readonly (readonly string[])[];
  IC: readonly (readonly string[])[];
}

/** Raised when a verification key cannot back the batch verifier. */
export class VerificationKeyError extends DrexError {
  override name = 'VerificationKeyError';
  readonly code = 'VKEY_INVALID';
}

/**
 * Gas forwarded to the BN254 precompiles: EIP-1108 prices (ecAdd 150, ecMul 6,000, pairing
 * 34,000 k + 45,000) with a margin. Gas forwarded but not used is returned to the caller; a larger amount
 * only raises the gas limit a settlement needs, not the gas it uses.
 */
export const PRECOMPILE_GAS = { ecAdd: 300, ecMul: 8_000, pairingBase: 50_000, pairingPerPair: 36_000 } as const;
/**
 * Gas a precompile call needs on top of the amount it forwards (the CALL itself, EIP-150's 1/64 kept back
 * is added separately) and that covers the code up to the next check, so that a short gas limit meets a
 * check (InsufficientGas) rather than running out between two calls.
 */
export const PRECOMPILE_CALL_RESERVE = 2_000;

/** Number of public inputs the settlement contract's ABI fixes (uint256[11]). */
export const BATCH_VERIFIER_PUBLIC_INPUTS = TRANSFER_PUBLIC_INPUTS.count;

const dec = (x: unknown, what: string): string => {
  if (typeof x !== 'string' || !/^\d{1,78}$/.test(x)) throw new VerificationKeyError(`${what} is not a decimal field element`);
  return x;
};

function checkKey(vk: Groth16VerificationKey): void {
  if (vk.protocol !== undefined && vk.protocol !== 'groth16') throw new VerificationKeyError(`protocol ${vk.protocol} is not groth16`);
  if (vk.curve !== undefined && vk.curve !== 'bn128') throw new VerificationKeyError(`curve ${vk.curve} is not bn128 (BN254)`);
  if (vk.nPublic !== BATCH_VERIFIER_PUBLIC_INPUTS || vk.IC?.length !== vk.nPublic + 1) {
    throw new VerificationKeyError(
      `the settlement ABI takes ${BATCH_VERIFIER_PUBLIC_INPUTS} public inputs; this key has nPublic=${vk.nPublic} and ${vk.IC?.length} IC points`,
    );
  }
}

/** The key's words in the order `verificationKeyHash()` packs them (see IBatchVerifier.sol). */
function keyWords(vk: Groth16VerificationKey): { name: string; value: string }[] {
  const g2 = (name: string, p: Groth16VerificationKey['vk_beta_2']) => [
    { name: `${name}_X1`, value: dec(p[0]?.[1], `${name}.x.c1`) },
    { name: `${name}_X2`, value: dec(p[0]?.[0], `${name}.x.c0`) },
    { name: `${name}_Y1`, value: dec(p[1]?.[1], `${name}.y.c1`) },
    { name: `${name}_Y2`, value: dec(p[1]?.[0], `${name}.y.c0`) },
  ];
  return [
    { name: 'ALPHA_X', value: dec(vk.vk_alpha_1[0], 'alpha.x') },
    { name: 'ALPHA_Y', value: dec(vk.vk_alpha_1[1], 'alpha.y') },
    ...g2('BETA', vk.vk_beta_2),
    ...g2('GAMMA', vk.vk_gamma_2),
    ...g2('DELTA', vk.vk_delta_2),
    ...vk.IC.flatMap((p, j) => [
      { name: `IC${j}_X`, value: dec(p[0], `IC${j}.x`) },
      { name: `IC${j}_Y`, value: dec(p[1], `IC${j}.y`) },
    ]),
  ];
}

/**
 * The hash a BatchVerifier built from `vk` returns from `verificationKeyHash()`: keccak256 of the key's
 * words packed as uint256 (alpha, beta, gamma, delta, IC; G2 coordinates as x.c1, x.c0, y.c1, y.c0).
 */
export function verificationKeyHash(vk: Groth16VerificationKey): Hex {
  checkKey(vk);
  const words = keyWords(vk).map((w) => BigInt(w.value));
  return keccak256(encodePacked(words.map(() => 'uint256'), words));
}

/** Solidity source of `BatchVerifier` for `vk`; `origin` is noted in the header (e.g. the vkey hash). */
export function batchVerifierSource(vk: Groth16VerificationKey, origin: string): string {
  checkKey(vk);
  const words = keyWords(vk);
  const constants = words.map((w) => `    uint256 internal constant ${w.name} = ${w.value};`);
  const hashStores = words.map((w, k) => `            mstore(add(m, ${k * 32}), ${w.name})`);
  // vk_x accumulation: skip a public input whose weighted sum is zero (e.g. no deposit in the batch).
  const icTerms = vk.IC.slice(1).map(
    (_, k) =>
      `            { let w := mload(add(sums, ${k * 32})) if w { g1Mul(s, IC${k + 1}_X, IC${k + 1}_Y, w, s) g1AddTo(s, mload(s), mload(add(s, 0x20)), pv) } }`,
  );
  const n = vk.nPublic;
  const insufficientGas = toFunctionSelector('InsufficientGas()');
  return `// SPDX-License-Identifier: Apache-2.0
// GENERATED by ledger-bridge/build/batch-verifier-source.ts from ${origin}. Do not edit.
pragma solidity ^0.8.24;

import {IBatchVerifier} from "./IBatchVerifier.sol";

/// @notice Batched Groth16 verification (BN254) for one verification key: N proofs, one pairing call.
contract BatchVerifier is IBatchVerifier {
    /// @dev BN254 scalar field (public inputs must be below it).
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev BN254 base field (coordinates must be below it).
    uint256 internal constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @dev Gas forwarded to each precompile (EIP-1108 price plus a margin) and kept for the call and the code after it.
    uint256 internal constant ECADD_GAS = ${PRECOMPILE_GAS.ecAdd};
    uint256 internal constant ECMUL_GAS = ${PRECOMPILE_GAS.ecMul};
    uint256 internal constant PAIRING_BASE_GAS = ${PRECOMPILE_GAS.pairingBase};
    uint256 internal constant PAIRING_PAIR_GAS = ${PRECOMPILE_GAS.pairingPerPair};
    uint256 internal constant CALL_RESERVE = ${PRECOMPILE_CALL_RESERVE};

${constants.join('\n')}

    /// @inheritdoc IBatchVerifier
    function verificationKeyHash() external pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
${hashStores.join('\n')}
            h := keccak256(m, ${words.length * 32})
        }
    }

    /// @inheritdoc IBatchVerifier
    function verify(uint256[8][] calldata proofs, uint256[${n}][] calldata publicInputs) external view returns (bool) {
        uint256 n = proofs.length;
        if (n == 0) revert EmptyBatch();
        if (n != publicInputs.length) revert LengthMismatch(n, publicInputs.length);
        assembly ("memory-safe") {
            function fail() {
                mstore(0, 0)
                return(0, 0x20)
            }
            // Reverts InsufficientGas unless a call can forward g (the call keeps 1/64 back, EIP-150).
            function needGas(g) {
                if lt(gas(), add(add(g, div(g, 63)), CALL_RESERVE)) {
                    mstore(0, shl(224, ${insufficientGas}))
                    revert(0, 4)
                }
            }
            // out = k * (x, y) (ecMul, 0x07); an invalid point makes verify return false.
            function g1Mul(s, x, y, k, out) {
                mstore(s, x)
                mstore(add(s, 0x20), y)
                mstore(add(s, 0x40), k)
                needGas(ECMUL_GAS)
                if iszero(staticcall(ECMUL_GAS, 0x07, s, 0x60, out, 0x40)) { fail() }
            }
            // acc += (x, y) (ecAdd, 0x06).
            function g1AddTo(s, x, y, acc) {
                mstore(s, x)
                mstore(add(s, 0x20), y)
                mstore(add(s, 0x40), mload(acc))
                mstore(add(s, 0x60), mload(add(acc, 0x20)))
                needGas(ECADD_GAS)
                if iszero(staticcall(ECADD_GAS, 0x06, s, 0x80, acc, 0x40)) { fail() }
            }
            function g2Store(at, x1, x2, y1, y2) {
                mstore(at, x1)
                mstore(add(at, 0x20), x2)
                mstore(add(at, 0x40), y1)
                mstore(add(at, 0x60), y2)
            }

            let pOff := proofs.offset
            let xOff := publicInputs.offset
            let m := mload(0x40)
            let seed := 0
            {
                let pLen := mul(n, 0x100)
                let xLen := mul(n, ${n * 32})
                // Canonical encodings only: coordinates < q, public inputs < r (else x + r would alias x).
                for { let k := 0 } lt(k, pLen) { k := add(k, 0x20) } {
                    if iszero(lt(calldataload(add(pOff, k)), Q)) { fail() }
                }
                for { let k := 0 } lt(k, xLen) { k := add(k, 0x20) } {
                    if iszero(lt(calldataload(add(xOff, k)), R)) { fail() }
                }
                // Fiat-Shamir seed over every proof and public input.
                calldatacopy(m, pOff, pLen)
                calldatacopy(add(m, pLen), xOff, xLen)
                seed := keccak256(m, add(pLen, xLen))
            }

            // Pairing input: N + 3 pairs of 6 words at m; then scratch s (4 words), accC (2), sums (nPublic).
            let s := add(m, mul(add(n, 3), 0xc0))
            let accC := add(s, 0x80)
            let sums := add(s, 0xc0)
            for { let j := 0 } lt(j, ${n * 32}) { j := add(j, 0x20) } { mstore(add(sums, j), 0) }
            let sumR := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let p := add(pOff, mul(i, 0x100))
                let pair := add(m, mul(i, 0xc0))
                let r := 1
                if i {
                    mstore(0, seed)
                    mstore(0x20, i)
                    r := and(keccak256(0, 0x40), 0xffffffffffffffffffffffffffffffff)
                }
                sumR := addmod(sumR, r, R)
                {
                    let x := add(xOff, mul(i, ${n * 32}))
                    for { let j := 0 } lt(j, ${n * 32}) { j := add(j, 0x20) } {
                        let a := add(sums, j)
                        mstore(a, addmod(mload(a), mulmod(r, calldataload(add(x, j)), R), R))
                    }
                }
                switch i
                case 0 {
                    mstore(pair, calldataload(p))
                    mstore(add(pair, 0x20), calldataload(add(p, 0x20)))
                    mstore(accC, calldataload(add(p, 0xc0)))
                    mstore(add(accC, 0x20), calldataload(add(p, 0xe0)))
                }
                default {
                    g1Mul(s, calldataload(p), calldataload(add(p, 0x20)), r, pair)
                    g1Mul(s, calldataload(add(p, 0xc0)), calldataload(add(p, 0xe0)), r, s)
                    g1AddTo(s, mload(s), mload(add(s, 0x20)), accC)
                }
                // -(r_i A_i), then B_i as given (x.c1, x.c0, y.c1, y.c0: the precompile's order).
                mstore(add(pair, 0x20), mod(sub(Q, mload(add(pair, 0x20))), Q))
                calldatacopy(add(pair, 0x40), add(p, 0x40), 0x80)
            }

            // (sum r_i) alpha and (sum r_i) IC_0; a single proof has sum r_i = 1 and needs no ecMul.
            let pa := add(m, mul(n, 0xc0))
            let pv := add(pa, 0xc0)
            switch eq(sumR, 1)
            case 1 {
                mstore(pa, ALPHA_X)
                mstore(add(pa, 0x20), ALPHA_Y)
                mstore(pv, IC0_X)
                mstore(add(pv, 0x20), IC0_Y)
            }
            default {
                g1Mul(s, ALPHA_X, ALPHA_Y, sumR, pa)
                g1Mul(s, IC0_X, IC0_Y, sumR, pv)
            }
            g2Store(add(pa, 0x40), BETA_X1, BETA_X2, BETA_Y1, BETA_Y2)
${icTerms.join('\n')}
            g2Store(add(pv, 0x40), GAMMA_X1, GAMMA_X2, GAMMA_Y1, GAMMA_Y2)
            let pd := add(pv, 0xc0)
            mstore(pd, mload(accC))
            mstore(add(pd, 0x20), mload(add(accC, 0x20)))
            g2Store(add(pd, 0x40), DELTA_X1, DELTA_X2, DELTA_Y1, DELTA_Y2)

            let pairingGas := add(PAIRING_BASE_GAS, mul(add(n, 3), PAIRING_PAIR_GAS))
            needGas(pairingGas)
            let ok := staticcall(pairingGas, 0x08, m, mul(add(n, 3), 0xc0), s, 0x20)
            mstore(0, and(ok, mload(s)))
            return(0, 0x20)
        }
    }
}
`;
}
