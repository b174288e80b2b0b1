// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The interface of snarkjs's exported Groth16Verifier for the 11-signal transfer circuit.
interface IGroth16Verifier {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[11] calldata pubSignals
    ) external view returns (bool);
}
