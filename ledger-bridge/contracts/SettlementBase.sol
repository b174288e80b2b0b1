// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Roles} from "./Roles.sol";
import {IBatchVerifier} from "./IBatchVerifier.sol";
import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title SettlementBase
/// @notice DrexSettlement's ledger-independent part: roles, the verifiers, the delayed policy (minter id,
///         compliance limit), the total supply, the batch-shape checks, the proof verification and the
///         aggregation root of a batch.
/// @dev Policy (minter id, compliance limit): a proof's `minter` must EQUAL the policy's minter id and its
///      `limit` must be <= the policy's compliance limit (a proof made under a stricter limit stays
///      acceptable when the limit is raised).
///
///      Policy changes are delayed, and never fail a batch proven under the policy they replace:
///      - the admin schedules a policy; it becomes current `policyDelay` seconds later (PolicyScheduled,
///        then PolicyActivated, emitted by the first state-changing call at or after that time; any
///        account may call activatePolicy()). Scheduling again before activation replaces the pending one;
///      - a proof is accepted under the CURRENT policy, or under the PREVIOUS one (the policy the
///        current one replaced) until `policyDelay` seconds after the current one activated;
///      - a policy still pending is not accepted.
///      So a batch proven while policy P was current settles until `policyDelay` after P's successor
///      activated: at least `policyDelay`, and at least `2 * policyDelay` from the moment the change was
///      scheduled (which is when the operator learns of it). A new activation happens at least
///      `policyDelay` after its scheduling, so at most two policies are ever accepted at once.
///
///      Supply: valueIn is minted (a deposit) and valueOut burned (a withdrawal); `totalSupply` moves by
///      the batch's minted - burned and never below zero (SupplyUnderflow).
abstract contract SettlementBase is Roles {
    /// @notice What proofs are checked against: `minterId` must equal, `complianceLimit` bounds `limit`.
    struct Policy {
        uint256 minterId;
        uint256 complianceLimit;
    }

    IBatchVerifier public immutable batchVerifier;
    IGroth16Verifier public immutable groth16Verifier;
    /// @notice Seconds from scheduling a policy to its activation, and how long the previous policy is
    ///         still accepted after an activation.
    uint256 public immutable policyDelay;

    /// @notice Value in notes: the initial supply, plus every batch's minted, minus its burned.
    uint256 public totalSupply;

    Policy private _current;
    Policy private _previous;
    /// @dev The previous policy is accepted while block.timestamp < this.
    uint256 private _previousUntil;
    Policy private _pending;
    /// @dev When the pending policy becomes current; 0 when none is pending.
    uint256 private _pendingAt;

    event PolicyScheduled(uint256 minterId, uint256 complianceLimit, uint256 activatesAt);
    /// @notice The policy became current at `activatedAt`; the one it replaced is accepted until `previousAcceptedUntil`.
    event PolicyActivated(uint256 minterId, uint256 complianceLimit, uint256 activatedAt, uint256 previousAcceptedUntil);

    error BatchAlreadySettled(bytes32 batchId);
    error EmptyBatch();
    error LengthMismatch(uint256 proofs, uint256 publicInputs);
    error RootMismatch(uint256 index, uint256 expected, uint256 actual);
    error MinterMismatch(uint256 index, uint256 minter);
    error LimitExceeded(uint256 index, uint256 limit);
    error ValueBalanceNotAllowed(uint256 index);
    error InvalidBatchProof();
    /// @notice Raised by the batch verifier (passed through) when the transaction's gas limit is too low
    ///         to verify the batch: retry with more gas; it says nothing about the proofs.
    error InsufficientGas();
    error InvalidProof(uint256 index);
    /// @notice The batch burns more than the supply (plus what it mints) holds.
    error SupplyUnderflow(uint256 supply, uint256 burned);
    error PolicyDelayZero();

    /// @param admin Gets ADMIN_ROLE (grants roles, schedules policies); it may not be a settler or minter.
    /// @param settlers Get SETTLER_ROLE. @param minters Get MINTER_ROLE.
    constructor(
        uint256 initialSupply,
        uint256 minterId_,
        uint256 complianceLimit_,
        uint256 policyDelay_,
        IBatchVerifier batchVerifier_,
        IGroth16Verifier groth16Verifier_,
        address admin,
        address[] memory settlers,
        address[] memory minters
    ) {
        if (address(batchVerifier_) == address(0) || address(groth16Verifier_) == address(0)) revert ZeroAddress();
        if (policyDelay_ == 0) revert PolicyDelayZero();
        batchVerifier = batchVerifier_;
        groth16Verifier = groth16Verifier_;
        policyDelay = policyDelay_;
        totalSupply = initialSupply;
        _current = Policy(minterId_, complianceLimit_);
        _grant(ADMIN_ROLE, admin);
        for (uint256 i = 0; i < settlers.length; i++) _grant(SETTLER_ROLE, settlers[i]);
        for (uint256 i = 0; i < minters.length; i++) _grant(MINTER_ROLE, minters[i]);
        emit PolicyActivated(minterId_, complianceLimit_, block.timestamp, 0);
    }

    /// @notice Schedules a policy (ADMIN_ROLE): it becomes current `policyDelay` seconds from now, replacing
    ///         a policy still pending.
    function schedulePolicy(uint256 minterId_, uint256 complianceLimit_) external onlyRole(ADMIN_ROLE) {
        _activatePending();
        uint256 at = block.timestamp + policyDelay;
        _pending = Policy(minterId_, complianceLimit_);
        _pendingAt = at;
        emit PolicyScheduled(minterId_, complianceLimit_, at);
    }

    /// @notice Records the activation of a pending policy whose time has come (anyone may call; settling,
    ///         scheduling and the views already treat it as active).
    function activatePolicy() external {
        _activatePending();
    }

    /// @notice The current policy's minter id (a BN254 field element).
    function minterId() external view returns (uint256) {
        (Policy memory cur,,) = _policies();
        return cur.minterId;
    }

    /// @notice The current policy's compliance limit.
    function complianceLimit() external view returns (uint256) {
        (Policy memory cur,,) = _policies();
        return cur.complianceLimit;
    }

    /// @notice The previous policy and until when it is still accepted (0: not accepted, or none).
    function previousPolicy() external view returns (uint256 minterId_, uint256 complianceLimit_, uint256 acceptedUntil) {
        (, Policy memory prev, uint256 until) = _policies();
        return (prev.minterId, prev.complianceLimit, until);
    }

    /// @notice The scheduled policy not active yet, and when it activates (0 when none is pending).
    function pendingPolicy() external view returns (uint256 minterId_, uint256 complianceLimit_, uint256 activatesAt) {
        if (_pendingAt == 0 || block.timestamp >= _pendingAt) return (0, 0, 0);
        return (_pending.minterId, _pending.complianceLimit, _pendingAt);
    }

    /// @dev The current policy, the previous one and until when it is accepted, as of this block (a pending
    ///      policy whose time has come counts as current).
    function _policies() private view returns (Policy memory cur, Policy memory prev, uint256 prevUntil) {
        uint256 at = _pendingAt;
        if (at != 0 && block.timestamp >= at) {
            (cur, prev, prevUntil) = (_pending, _current, at + policyDelay);
        } else {
            (cur, prev, prevUntil) = (_current, _previous, _previousUntil);
        }
        if (block.timestamp >= prevUntil) prevUntil = 0;
    }

    /// @dev Moves a pending policy whose time has come to current, the current one to previous.
    function _activatePending() private {
        uint256 at = _pendingAt;
        if (at == 0 || block.timestamp < at) return;
        _previous = _current;
        _current = _pending;
        _previousUntil = at + policyDelay;
        delete _pending;
        _pendingAt = 0;
        emit PolicyActivated(_current.minterId, _current.complianceLimit, at, at + policyDelay);
    }

    /// @dev The checks every batch starts with (a non-empty batch, one public-input list per proof), then
    ///      activates a pending policy whose time has come and returns the current policy.
    function _beginBatch(uint256 proofCount, uint256 inputCount) internal returns (Policy memory cur) {
        if (inputCount == 0) revert EmptyBatch();
        if (proofCount != inputCount) revert LengthMismatch(proofCount, inputCount);
        _activatePending();
        cur = _current;
    }

    /// @dev Reverts MinterMismatch or LimitExceeded unless the current or (still accepted) previous policy
    ///      accepts; the previous policy is read only for a proof the current one refuses.
    function _checkPolicy(uint256 i, uint256 minter, uint256 limit, Policy memory cur) internal view {
        if (minter == cur.minterId && limit <= cur.complianceLimit) return;
        bool prevOk = block.timestamp < _previousUntil;
        Policy memory prev = _previous;
        if (prevOk && minter == prev.minterId && limit <= prev.complianceLimit) return;
        if (minter != cur.minterId && !(prevOk && minter == prev.minterId)) revert MinterMismatch(i, minter);
        revert LimitExceeded(i, limit);
    }

    /// @dev Moves the supply by minted - burned (SupplyUnderflow when it would go below zero).
    function _moveSupply(uint256 minted, uint256 burned) internal {
        uint256 supply = totalSupply + minted;
        if (burned > supply) revert SupplyUnderflow(supply, burned);
        totalSupply = supply - burned;
    }

    /// @dev Verifies all the proofs with ONE call to the pairing precompile (InvalidBatchProof).
    function _verifyBatch(uint256[8][] calldata proofs, uint256[11][] calldata publicInputs) internal view {
        if (!batchVerifier.verify(proofs, publicInputs)) revert InvalidBatchProof();
    }

    /// @dev Verifies each proof separately with the snarkjs verifier (InvalidProof(i) names the first bad one).
    function _verifyEach(uint256[8][] calldata proofs, uint256[11][] calldata publicInputs) internal view {
        for (uint256 i = 0; i < proofs.length; i++) {
            uint256[8] calldata p = proofs[i];
            bool ok = groth16Verifier.verifyProof(
                [p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], publicInputs[i]
            );
            if (!ok) revert InvalidProof(i);
        }
    }

    /// @dev Leaf i = keccak256(abi.encode(uint256[8] proof, uint256[11] publicInputs)); a node is
    ///      keccak256(left || right); a level with an odd count carries its last node up unchanged;
    ///      a 1-leaf tree's root is its leaf.
    function _aggregationRoot(uint256[8][] calldata proofs, uint256[11][] calldata publicInputs)
        internal
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
