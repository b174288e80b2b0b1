// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SettlementBase} from "./SettlementBase.sol";
import {IBatchVerifier} from "./IBatchVerifier.sol";
import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title DrexSettlement
/// @notice Settles batches of proofs of the k-transfer circuit (transfer-batch.circom). The
///         nullifier set is an indexed Merkle tree proved INSIDE the circuit, so the chain keeps no
///         nullifier, intent or note: only the note tree's root and next free leaf, the nullifier set's
///         public state, the supply, the policies and one slot per settled batch.
/// @dev Public inputs per proof (circuit order, 11 whatever k): [noteRootBefore, noteRootAfter, noteIndex,
///      nullRootBefore, nullRootAfter, transfers, valueIn, valueOut, limit, minter, domain].
///
///      The proofs of a batch must chain: proof i starts where proof i - 1 ended (note root, next note
///      index, nullifier-set state), the first at the chain's state. A double spend therefore shows as a
///      proof whose nullRootBefore is not the running one (StaleNullifierRoot): it was proven against a
///      set that did not yet hold the nullifier it re-spends (the circuit refuses an insertion of a key
///      already in the set it is proven against).
///
///      Policy (delayed changes, current and previous accepted) and supply (minted - burned, never below
///      zero) are SettlementBase's.
contract DrexSettlement is SettlementBase {
    uint256 private constant NOTE_ROOT_BEFORE = 0;
    uint256 private constant NOTE_ROOT_AFTER = 1;
    uint256 private constant NOTE_INDEX = 2;
    uint256 private constant NULL_ROOT_BEFORE = 3;
    uint256 private constant NULL_ROOT_AFTER = 4;
    uint256 private constant TRANSFERS = 5;
    uint256 private constant VALUE_IN = 6;
    uint256 private constant VALUE_OUT = 7;
    uint256 private constant LIMIT = 8;
    uint256 private constant MINTER = 9;
    uint256 private constant DOMAIN = 10;

    /// @dev The BN254 scalar field order (the circuit's field).
    uint256 private constant SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev A larger k is no circuit anyone builds; the bound keeps the next-index arithmetic far from uint64.
    uint256 private constant MAX_TRANSFERS_PER_PROOF = 1024;

    /// @notice k: the transfer slots of one proof of the circuit whose verification key the verifiers hold.
    uint256 public immutable transfersPerProof;
    /// @notice The deployment's domain, signed in every intent: keccak256(abi.encode(block.chainid,
    ///         address(this), "drex-swarm/transfer-batch/v2")) mod the BN254 scalar field order.
    uint256 public immutable domain;

    /// @dev The note tree's root.
    uint256 private _noteRoot;
    /// @dev The nullifier set's public state Poseidon(setRoot, setSize).
    uint256 private _nullRoot;
    /// @dev The note tree's next free leaf.
    uint64 private _nextNoteIndex;
    /// @dev Per settled batch, ONE slot: the aggregation root's first 24 bytes, then the block (8 bytes).
    mapping(bytes32 batchId => bytes32) private _batches;

    /// @dev What _check found in a batch.
    struct Totals {
        uint256 noteRootBefore;
        uint256 noteRoot;
        uint256 nullRoot;
        uint256 noteIndex;
        uint256 transfers;
        uint256 minted;
        uint256 burned;
    }

    /// @notice `transfers` is the batch's summed transfers public inputs; `minted` and `burned` its summed
    ///         valueIn and valueOut; the `...After` values are the chain's state after the batch.
    event BatchSettled(
        bytes32 indexed batchId,
        bytes32 aggregationRoot,
        uint256 noteRootBefore,
        uint256 noteRootAfter,
        uint256 nullRootAfter,
        uint256 noteIndexAfter,
        uint256 transfers,
        uint256 minted,
        uint256 burned
    );

    /// @notice Proof `index` was proven against nullifier-set state `actual`, not the running `expected`
    ///         (a double spend, or a proof planned from a stale state).
    error StaleNullifierRoot(uint256 index, uint256 expected, uint256 actual);
    /// @notice Proof `index` appends notes at leaf `actual`, not at the running next free leaf `expected`.
    error NoteIndexMismatch(uint256 index, uint256 expected, uint256 actual);
    /// @notice Proof `index` carries intents signed for domain `actual`, not this deployment's.
    error DomainMismatch(uint256 index, uint256 actual);
    /// @notice Proof `index` claims `transfers` slots in use: it must be 1..transfersPerProof.
    error TransfersOutOfRange(uint256 index, uint256 transfers);
    /// @notice Proof `index` claims a value balance no k transfers can move (the circuit proves every
    ///         amount below 2^64): checked before verification, so the running totals cannot overflow.
    error ValueOutOfRange(uint256 index, uint256 valueIn, uint256 valueOut);
    error InvalidTransfersPerProof(uint256 transfersPerProof);

    /// @notice Where the ledger starts: LedgerV2.empty(...).point and supply 0 for a fresh ledger.
    struct InitialState {
        /// The note tree's root.
        uint256 noteRoot;
        /// The nullifier set's Poseidon(setRoot, setSize).
        uint256 nullRoot;
        /// The note tree's next free leaf.
        uint64 noteIndex;
        /// Value in the notes under noteRoot.
        uint256 supply;
    }

    /// @param initial The ledger's state at deployment (a struct: one more parameter is past the legacy
    ///        code generator's stack for decoding the arguments).
    /// @param transfersPerProof_ k of the circuit the verifiers were built for.
    /// @param admin Gets ADMIN_ROLE (grants roles, schedules policies); it may not be a settler or minter.
    /// @param settlers Get SETTLER_ROLE. @param minters Get MINTER_ROLE.
    constructor(
        InitialState memory initial,
        uint256 minterId_,
        uint256 complianceLimit_,
        uint256 policyDelay_,
        IBatchVerifier batchVerifier_,
        IGroth16Verifier groth16Verifier_,
        uint256 transfersPerProof_,
        address admin,
        address[] memory settlers,
        address[] memory minters
    )
        SettlementBase(
            initial.supply, minterId_, complianceLimit_, policyDelay_, batchVerifier_, groth16Verifier_, admin, settlers, minters
        )
    {
        if (transfersPerProof_ == 0 || transfersPerProof_ > MAX_TRANSFERS_PER_PROOF) {
            revert InvalidTransfersPerProof(transfersPerProof_);
        }
        transfersPerProof = transfersPerProof_;
        domain = uint256(keccak256(abi.encode(block.chainid, address(this), "drex-swarm/transfer-batch/v2"))) % SCALAR_FIELD;
        _noteRoot = initial.noteRoot;
        _nullRoot = initial.nullRoot;
        _nextNoteIndex = initial.noteIndex;
    }

    /// @notice Settles a batch, verifying all its proofs with ONE call to the pairing precompile.
    function settleBatch(bytes32 batchId, uint256[8][] calldata proofs, uint256[11][] calldata publicInputs)
        external
        onlyRole(SETTLER_ROLE)
        returns (bytes32 aggregationRoot)
    {
        Totals memory t = _check(batchId, proofs.length, publicInputs);
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
        Totals memory t = _check(batchId, proofs.length, publicInputs);
        _verifyEach(proofs, publicInputs);
        aggregationRoot = _finish(batchId, proofs, publicInputs, t);
    }

    /// @notice The note tree's current root.
    function noteRoot() external view returns (uint256) {
        return _noteRoot;
    }

    /// @notice The note tree's next free leaf (where the next proof appends).
    function nextNoteIndex() external view returns (uint256) {
        return _nextNoteIndex;
    }

    /// @notice The nullifier set's current public state, Poseidon(setRoot, setSize).
    function nullifierRoot() external view returns (uint256) {
        return _nullRoot;
    }

    /// @notice The first 24 bytes of a settled batch's aggregation root (the BatchSettled event carries
    ///         all 32) and its block; (0, 0) when it was never settled.
    function settledBatch(bytes32 batchId) external view returns (bytes24 aggregationRootPrefix, uint256 blockNumber) {
        bytes32 r = _batches[batchId];
        return (bytes24(r), uint64(uint256(r)));
    }

    /// @dev Every check that needs no proof verification, in order per proof: nullifier-set state, note
    ///      root, note index, domain, transfers, policy, value balance; then the supply. Writes only the
    ///      supply (when the batch moves value): the roots and index are written once, by _finish.
    function _check(bytes32 batchId, uint256 proofCount, uint256[11][] calldata publicInputs)
        private
        returns (Totals memory t)
    {
        uint256 n = publicInputs.length;
        Policy memory cur = _beginBatch(proofCount, n);
        if (_batches[batchId] != 0) revert BatchAlreadySettled(batchId);
        t.noteRootBefore = _noteRoot;
        t.noteRoot = t.noteRootBefore;
        t.nullRoot = _nullRoot;
        t.noteIndex = _nextNoteIndex;
        uint256 k = transfersPerProof;
        uint256 dom = domain;
        bool valueBalance = false;
        for (uint256 i = 0; i < n; i++) {
            uint256[11] calldata x = publicInputs[i];
            if (x[NULL_ROOT_BEFORE] != t.nullRoot) revert StaleNullifierRoot(i, t.nullRoot, x[NULL_ROOT_BEFORE]);
            if (x[NOTE_ROOT_BEFORE] != t.noteRoot) revert RootMismatch(i, t.noteRoot, x[NOTE_ROOT_BEFORE]);
            if (x[NOTE_INDEX] != t.noteIndex) revert NoteIndexMismatch(i, t.noteIndex, x[NOTE_INDEX]);
            if (x[DOMAIN] != dom) revert DomainMismatch(i, x[DOMAIN]);
            uint256 transfers = x[TRANSFERS];
            if (transfers == 0 || transfers > k) revert TransfersOutOfRange(i, transfers);
            _checkPolicy(i, x[MINTER], x[LIMIT], cur);
            if ((x[VALUE_IN] | x[VALUE_OUT]) != 0) {
                if (!hasRole(MINTER_ROLE, msg.sender)) revert ValueBalanceNotAllowed(i);
                if (x[VALUE_IN] >= k << 64 || x[VALUE_OUT] >= k << 64) revert ValueOutOfRange(i, x[VALUE_IN], x[VALUE_OUT]);
                valueBalance = true;
                t.minted += x[VALUE_IN];
                t.burned += x[VALUE_OUT];
            }
            t.nullRoot = x[NULL_ROOT_AFTER];
            t.noteRoot = x[NOTE_ROOT_AFTER];
            // Each transfer appends a pair of notes.
            t.noteIndex += 2 * transfers;
            t.transfers += transfers;
        }
        if (valueBalance) _moveSupply(t.minted, t.burned);
    }

    /// @dev Writes the three state slots and the batch's one record slot, and emits BatchSettled.
    function _finish(bytes32 batchId, uint256[8][] calldata proofs, uint256[11][] calldata publicInputs, Totals memory t)
        private
        returns (bytes32 aggregationRoot)
    {
        aggregationRoot = _aggregationRoot(proofs, publicInputs);
        _noteRoot = t.noteRoot;
        _nullRoot = t.nullRoot;
        // Fits: the circuit proves every noteIndex below its tree's capacity 2^depth, and a proof appends
        // at most 2 * MAX_TRANSFERS_PER_PROOF leaves.
        _nextNoteIndex = uint64(t.noteIndex);
        _batches[batchId] = bytes32(uint256(aggregationRoot) & ~uint256(type(uint64).max) | block.number);
        emit BatchSettled(
            batchId, aggregationRoot, t.noteRootBefore, t.noteRoot, t.nullRoot, t.noteIndex, t.transfers, t.minted, t.burned
        );
    }
}
