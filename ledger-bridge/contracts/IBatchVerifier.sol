// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Verifies many Groth16 proofs of one verification key with one pairing check.
/// @dev Proofs are uint256[8] [A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y] (EIP-197 order);
///      public inputs are the transfer circuit's 11 signals. Returns false for any invalid proof, any
///      coordinate >= p or any public input >= r; reverts on a malformed batch shape, and with
///      InsufficientGas when the gas left cannot pay a precompile call (a gas limit too low for the
///      verification, never a verdict on the proofs).
interface IBatchVerifier {
    error EmptyBatch();
    error LengthMismatch(uint256 proofs, uint256 publicInputs);
    error InsufficientGas();

    /// @notice keccak256 of the verification key's words, packed in this order: alpha (x, y), beta, gamma,
    ///         delta (each x.c1, x.c0, y.c1, y.c0) and IC_0 .. IC_n (x, y), computed from the constants the
    ///         verifier checks with: a deployment can be compared with the key a process loads.
    function verificationKeyHash() external pure returns (bytes32);

    function verify(uint256[8][] calldata proofs, uint256[11][] calldata publicInputs) external view returns (bool);
}
