// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SettlementBase} from "./SettlementBase.sol";
import {IBatchVerifier} from "./IBatchVerifier.sol";
import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title DrexSettlement
/// @notice Settles batches of shielded Drex transfers: checks that the batch's chain of note-tree roots
///         starts at the current root, that no nullifier or intent nullifier was used, that the public
///         policy inputs are accepted (below), verifies every Groth16 proof (one batched pairing check),
///         then records the nullifiers and intents, moves the root and the supply, and emits BatchSettled.
/// @dev Public inputs per transfer (circuit order): [rootBefore, rootAfter, nullifier0, nullifier1,
///      commitment0, commitment1, valueIn, valueOut, limit, minter, intentNullifier].
///
///      Policy (delayed changes, current and previous accepted) and supply (minted - burned, never below
///      zero) are SettlementBase's.
contract DrexSettlement is SettlementBase {
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

    /// @dev What _checkAndRecord found in a batch.
    struct Totals {
        uint256 rootBefore;
        uint256 rootAfter;
        uint256 minted;
        uint256 burned;
    }

    /// @notice The note tree's current root.
    uint256 public currentRoot;

    mapping(uint256 nullifier => bool) private _spent;
    mapping(uint256 intentNullifier => bool) private _intentUsed;
    mapping(bytes32 batchId => Settled) private _batches;

    /// @notice `minted` and `burned` are the batch's summed valueIn and valueOut public inputs.
    event BatchSettled(
        bytes32 indexed batchId,
        bytes32 aggregationRoot,
        uint256 rootBefore,
        uint256 rootAfter,
        uint256 transfers,
        uint256 minted,
        uint256 burned
    );

    error NullifierSpent(uint256 nullifier);
    error IntentReplayed(uint256 intentNullifier);

    /// @param admin Gets ADMIN_ROLE (grants roles, schedules policies); it may not be a settler or minter.
    /// @param settlers Get SETTLER_ROLE. @param minters Get MINTER_ROLE.
    constructor(
        uint256 initialRoot,
        uint256 initialSupply,
        uint256 minterId_,
        uint256 complianceLimit_,
        uint256 policyDelay_,
        IBatchVerifier batchVerifier_,
        IGroth16Verifier groth16Verifier_,
        address admin,
        address[] memory settlers,
        address[] memory minters
    )
        SettlementBase(
            initialSupply, minterId_, complianceLimit_, policyDelay_, batchVerifier_, groth16Verifier_, admin, settlers, minters
        )
    {
        currentRoot = initialRoot;
    }

    /// @notice Settles a batch, verifying all its proofs with ONE call to the pairing precompile.
    function settleBatch(bytes32 batchId, uint256[8][] calldata proofs, uint256[11][] calldata publicInputs)
        external
        onlyRole(SETTLER_ROLE)
        returns (bytes32 aggregationRoot)
    {
        Totals memory t = _checkAndRecord(batchId, proofs.length, publicInputs);
        _verifyBatch(proofs, publicInputs);
        aggregationRoot = _finish(batchId, proofs, publicInputs, t);
    }

    /// @notice Same as settleBatch but verifies each proof separately with the snarkjs Groth16Verifier
    ///         (one pairing check per proof): the baseline for gas comparisons, and it names a bad proof.
    function settleBatchPerProof(bytes32 batchId, uint256[8][] calldata proofs, uint256[11][] calldata publicInputs)
        external
        onlyRole(SETTLER_ROLE)
        returns (bytes32 aggregationRoot)
    {
        Totals memory t = _checkAndRecord(batchId, proofs.length, publicInputs);
        _verifyEach(proofs, publicInputs);
        aggregationRoot = _finish(batchId, proofs, publicInputs, t);
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

    /// @dev Every check that needs no proof verification, recording nullifiers, intents and the supply as it
    ///      goes (a later revert undoes them; this also catches repeats inside the batch).
    function _checkAndRecord(bytes32 batchId, uint256 proofCount, uint256[11][] calldata publicInputs)
        private
        returns (Totals memory t)
    {
        uint256 n = publicInputs.length;
        Policy memory cur = _beginBatch(proofCount, n);
        if (_batches[batchId].blockNumber != 0) revert BatchAlreadySettled(batchId);
        t.rootBefore = currentRoot;
        uint256 root = t.rootBefore;
        uint256 firstValueBalance = type(uint256).max;
        for (uint256 i = 0; i < n; i++) {
            uint256[11] calldata x = publicInputs[i];
            if (x[ROOT_BEFORE] != root) revert RootMismatch(i, root, x[ROOT_BEFORE]);
            root = x[ROOT_AFTER];
            _checkPolicy(i, x[MINTER], x[LIMIT], cur);
            if ((x[VALUE_IN] | x[VALUE_OUT]) != 0) {
                if (firstValueBalance == type(uint256).max) firstValueBalance = i;
                t.minted += x[VALUE_IN];
                t.burned += x[VALUE_OUT];
            }
            _spend(x[NULLIFIER0]);
            _spend(x[NULLIFIER1]);
            uint256 intent = x[INTENT];
            if (_intentUsed[intent]) revert IntentReplayed(intent);
            _intentUsed[intent] = true;
        }
        if (firstValueBalance != type(uint256).max && !hasRole(MINTER_ROLE, msg.sender)) {
            revert ValueBalanceNotAllowed(firstValueBalance);
        }
        if (firstValueBalance != type(uint256).max) _moveSupply(t.minted, t.burned);
        t.rootAfter = root;
        currentRoot = root;
    }

    function _spend(uint256 nullifier) private {
        if (_spent[nullifier]) revert NullifierSpent(nullifier);
        _spent[nullifier] = true;
    }

    function _finish(bytes32 batchId, uint256[8][] calldata proofs, uint256[11][] calldata publicInputs, Totals memory t)
        private
        returns (bytes32 aggregationRoot)
    {
        aggregationRoot = _aggregationRoot(proofs, publicInputs);
        _batches[batchId] = Settled(aggregationRoot, uint64(block.number));
        emit BatchSettled(batchId, aggregationRoot, t.rootBefore, t.rootAfter, proofs.length, t.minted, t.burned);
    }
}
