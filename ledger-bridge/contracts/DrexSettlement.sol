// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Roles} from "./Roles.sol";
import {IBatchVerifier} from "./IBatchVerifier.sol";
import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title DrexSettlement
/// @notice Settles batches of shielded Drex transfers: checks that the batch's chain of note-tree roots
///         starts at the current root, that no nullifier or intent nullifier was used, that the public
///         policy inputs match the configured ones, verifies every Groth16 proof (one batched pairing
///         check), then records the nullifiers and intents, moves the root and emits BatchSettled.
/// @dev Public inputs per transfer (circuit order): [rootBefore, rootAfter, nullifier0, nullifier1,
///      commitment0, commitment1, valueIn, valueOut, limit, minter, intentNullifier].
///      Policy: `minter` must EQUAL the configured minter id; `limit` must be <= the configured
///      compliance limit (a proof made under a stricter limit stays acceptable when the limit is raised).
contract DrexSettlement is Roles {
    uint256 private constant ROOT_BEFORE = 0;
    uint256 private constant ROOT_AFTER = 1;
    uint256 private constant NULLIFIER0 = 2;
    uint256 private constant NULLIFIER1 = 3;
    uint256 private constant VALUE_IN = 6;
    uint256 private constant VALUE_OUT = 7;
    uint256 private constant LIMIT = 8;
    uint256 private constant MINTER = 9;
    uint256 private constant INTENT = 10;

    struct Settled {
        bytes32 aggregationRoot;
        uint64 blockNumber;
    }

    IBatchVerifier public immutable batchVerifier;
    IGroth16Verifier public immutable groth16Verifier;

    /// @notice The note tree's current root.
    uint256 public currentRoot;
    /// @notice The minter's owner id (a BN254 field element) that the circuit's `minter` input must equal.
    uint256 public minterId;
    /// @notice The largest `limit` public input accepted.
    uint256 public complianceLimit;

    mapping(uint256 nullifier => bool) private _spent;
    mapping(uint256 intentNullifier => bool) private _intentUsed;
    mapping(bytes32 batchId => Settled) private _batches;

    event BatchSettled(bytes32 indexed batchId, bytes32 aggregationRoot, uint256 rootBefore, uint256 rootAfter, uint256 transfers);
    event PolicyChanged(uint256 minterId, uint256 complianceLimit);

    error BatchAlreadySettled(bytes32 batchId);
    error EmptyBatch();
    error LengthMismatch(uint256 proofs, uint256 publicInputs);
    error RootMismatch(uint256 index, uint256 expected, uint256 actual);
    error NullifierSpent(uint256 nullifier);
    error IntentReplayed(uint256 intentNullifier);
    error MinterMismatch(uint256 index, uint256 minter);
    error LimitExceeded(uint256 index, uint256 limit);
    error ValueBalanceNotAllowed(uint256 index);
    error InvalidBatchProof();
    /// @notice Raised by the batch verifier (passed through) when the transaction's gas limit is too low
    ///         to verify the batch: retry with more gas; it says nothing about the proofs.
    error InsufficientGas();
    error InvalidProof(uint256 index);

    constructor(
        uint256 initialRoot,
        uint256 minterId_,
        uint256 complianceLimit_,
        IBatchVerifier batchVerifier_,
        IGroth16Verifier groth16Verifier_,
        address admin
    ) {
        if (address(batchVerifier_) == address(0) || address(groth16Verifier_) == address(0)) revert ZeroAddress();
        batchVerifier = batchVerifier_;
        groth16Verifier = groth16Verifier_;
        currentRoot = initialRoot;
        minterId = minterId_;
        complianceLimit = complianceLimit_;
        _grant(ADMIN_ROLE, admin);
        emit PolicyChanged(minterId_, complianceLimit_);
    }

    /// @notice Settles a batch, verifying all its proofs with ONE call to the pairing precompile.
    function settleBatch(bytes32 batchId, uint256[8][] calldata proofs, uint256[11][] calldata publicInputs)
        external
        onlyRole(SETTLER_ROLE)
        returns (bytes32 aggregationRoot)
    {
        (uint256 rootBefore, uint256 rootAfter) = _checkAndRecord(batchId, proofs.length, publicInputs);
        if (!batchVerifier.verify(proofs, publicInputs)) revert InvalidBatchProof();
        aggregationRoot = _finish(batchId, proofs, publicInputs, rootBefore, rootAfter);
    }

    /// @notice Same as settleBatch but verifies each proof separately with the snarkjs Groth16Verifier
    ///         (one pairing check per proof): the baseline for gas comparisons, and it names a bad proof.
    function settleBatchPerProof(bytes32 batchId, uint256[8][] calldata proofs, uint256[11][] calldata publicInputs)
        external
        onlyRole(SETTLER_ROLE)
        returns (bytes32 aggregationRoot)
    {
        (uint256 rootBefore, uint256 rootAfter) = _checkAndRecord(batchId, proofs.length, publicInputs);
        for (uint256 i = 0; i < proofs.length; i++) {
            uint256[8] calldata p = proofs[i];
            bool ok = groth16Verifier.verifyProof(
                [p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], publicInputs[i]
            );
            if (!ok) revert InvalidProof(i);
        }
        aggregationRoot = _finish(batchId, proofs, publicInputs, rootBefore, rootAfter);
    }

    /// @notice Changes the minter id and compliance limit (ADMIN_ROLE).
    function setPolicy(uint256 minterId_, uint256 complianceLimit_) external onlyRole(ADMIN_ROLE) {
        minterId = minterId_;
        complianceLimit = complianceLimit_;
        emit PolicyChanged(minterId_, complianceLimit_);
    }

    function isSpent(uint256 nullifier) external view returns (bool) {
        return _spent[nullifier];
    }

    function isIntentUsed(uint256 intentNullifier) external view returns (bool) {
        return _intentUsed[intentNullifier];
    }

    /// @notice The aggregation root and block of a settled batch; block 0 when it was never settled.
    function settledBatch(bytes32 batchId) external view returns (bytes32 aggregationRoot, uint256 blockNumber) {
        Settled storage s = _batches[batchId];
        return (s.aggregationRoot, s.blockNumber);
    }

    /// @dev Every check that needs no proof verification, recording nullifiers and intents as it goes
    ///      (a later revert undoes them; this also catches repeats inside the batch).
    function _checkAndRecord(bytes32 batchId, uint256 proofCount, uint256[11][] calldata publicInputs)
        private
        returns (uint256 rootBefore, uint256 root)
    {
        uint256 n = publicInputs.length;
        if (n == 0) revert EmptyBatch();
        if (proofCount != n) revert LengthMismatch(proofCount, n);
        if (_batches[batchId].blockNumber != 0) revert BatchAlreadySettled(batchId);
        rootBefore = currentRoot;
        root = rootBefore;
        uint256 minter = minterId;
        uint256 limit = complianceLimit;
        uint256 firstValueBalance = type(uint256).max;
        for (uint256 i = 0; i < n; i++) {
            uint256[11] calldata x = publicInputs[i];
            if (x[ROOT_BEFORE] != root) revert RootMismatch(i, root, x[ROOT_BEFORE]);
            root = x[ROOT_AFTER];
            if (x[MINTER] != minter) revert MinterMismatch(i, x[MINTER]);
            if (x[LIMIT] > limit) revert LimitExceeded(i, x[LIMIT]);
            if ((x[VALUE_IN] | x[VALUE_OUT]) != 0 && firstValueBalance == type(uint256).max) firstValueBalance = i;
            _spend(x[NULLIFIER0]);
            _spend(x[NULLIFIER1]);
            uint256 intent = x[INTENT];
            if (_intentUsed[intent]) revert IntentReplayed(intent);
            _intentUsed[intent] = true;
        }
        if (firstValueBalance != type(uint256).max && !hasRole(MINTER_ROLE, msg.sender)) {
            revert ValueBalanceNotAllowed(firstValueBalance);
        }
        currentRoot = root;
    }

    function _spend(uint256 nullifier) private {
        if (_spent[nullifier]) revert NullifierSpent(nullifier);
        _spent[nullifier] = true;
    }

    function _finish(
        bytes32 batchId,
        uint256[8][] calldata proofs,
        uint256[11][] calldata publicInputs,
        uint256 rootBefore,
        uint256 rootAfter
    ) private returns (bytes32 aggregationRoot) {
        aggregationRoot = _aggregationRoot(proofs, publicInputs);
        _batches[batchId] = Settled(aggregationRoot, uint64(block.number));
        emit BatchSettled(batchId, aggregationRoot, rootBefore, rootAfter, proofs.length);
    }

    /// @dev Leaf i = keccak256(abi.encode(uint256[8] proof, uint256[11] publicInputs)); a node is
    ///      keccak256(left || right); a level with an odd count carries its last node up unchanged;
    ///      a 1-leaf tree's root is its leaf.
    function _aggregationRoot(uint256[8][] calldata proofs, uint256[11][] calldata publicInputs)
        private
        pure
        returns (bytes32 root)
    {
        uint256 n = proofs.length;
        bytes32[] memory level = new bytes32[](n);
        assembly ("memory-safe") {
            let buf := mload(0x40)
            let pOff := proofs.offset
            let xOff := publicInputs.offset
            let out := add(level, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                calldatacopy(buf, add(pOff, mul(i, 0x100)), 0x100)
                calldatacopy(add(buf, 0x100), add(xOff, mul(i, 0x160)), 0x160)
                mstore(add(out, mul(i, 0x20)), keccak256(buf, 0x260))
            }
            for {} gt(n, 1) {} {
                let half := shr(1, n)
                for { let k := 0 } lt(k, half) { k := add(k, 1) } {
                    let pair := add(out, mul(k, 0x40))
                    mstore(add(out, mul(k, 0x20)), keccak256(pair, 0x40))
                }
                if and(n, 1) { mstore(add(out, mul(half, 0x20)), mload(add(out, mul(sub(n, 1), 0x20)))) }
                n := add(half, and(n, 1))
            }
            root := mload(out)
        }
    }
}
