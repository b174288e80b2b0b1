import { parseAbi } from 'viem';

/**
 * Typed ABI of DrexSettlement, the settlement of the k-transfer circuit (transfer-batch.circom): the note
 * root, the next note index and the nullifier-set state, no per-transfer storage. Public inputs per proof:
 * [noteRootBefore, noteRootAfter, noteIndex, nullRootBefore, nullRootAfter, transfers, valueIn, valueOut,
 * limit, minter, domain]. The compiled ABI is the source of truth: a test checks that every item here is
 * in it and that the events and errors are exactly its own, so these cannot drift.
 */
export const drexSettlementAbi = parseAbi([
  'struct InitialState { uint256 noteRoot; uint256 nullRoot; uint64 noteIndex; uint256 supply; }',
  'constructor(InitialState initial, uint256 minterId, uint256 complianceLimit, uint256 policyDelay, address batchVerifier, address groth16Verifier, uint256 transfersPerProof, address admin, address[] settlers, address[] minters)',
  'function settleBatch(bytes32 batchId, uint256[8][] proofs, uint256[11][] publicInputs) returns (bytes32 aggregationRoot)',
  'function settleBatchPerProof(bytes32 batchId, uint256[8][] proofs, uint256[11][] publicInputs) returns (bytes32 aggregationRoot)',
  'function schedulePolicy(uint256 minterId, uint256 complianceLimit)',
  'function activatePolicy()',
  'function noteRoot() view returns (uint256)',
  'function nextNoteIndex() view returns (uint256)',
  'function nullifierRoot() view returns (uint256)',
  'function transfersPerProof() view returns (uint256)',
  'function domain() view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function policyDelay() view returns (uint256)',
  'function minterId() view returns (uint256)',
  'function complianceLimit() view returns (uint256)',
  'function previousPolicy() view returns (uint256 minterId, uint256 complianceLimit, uint256 acceptedUntil)',
  'function pendingPolicy() view returns (uint256 minterId, uint256 complianceLimit, uint256 activatesAt)',
  'function settledBatch(bytes32 batchId) view returns (bytes24 aggregationRootPrefix, uint256 blockNumber)',
  'function batchVerifier() view returns (address)',
  'function groth16Verifier() view returns (address)',
  'function ADMIN_ROLE() view returns (bytes32)',
  'function SETTLER_ROLE() view returns (bytes32)',
  'function MINTER_ROLE() view returns (bytes32)',
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
  'event BatchSettled(bytes32 indexed batchId, bytes32 aggregationRoot, uint256 noteRootBefore, uint256 noteRootAfter, uint256 nullRootAfter, uint256 noteIndexAfter, uint256 transfers, uint256 minted, uint256 burned)',
  'event PolicyScheduled(uint256 minterId, uint256 complianceLimit, uint256 activatesAt)',
  'event PolicyActivated(uint256 minterId, uint256 complianceLimit, uint256 activatedAt, uint256 previousAcceptedUntil)',
  'event RoleGranted(bytes32 indexed role, address indexed account, address indexed by)',
  'event RoleRevoked(bytes32 indexed role, address indexed account, address indexed by)',
  'error BatchAlreadySettled(bytes32 batchId)',
  'error EmptyBatch()',
  'error LengthMismatch(uint256 proofs, uint256 publicInputs)',
  'error StaleNullifierRoot(uint256 index, uint256 expected, uint256 actual)',
  'error RootMismatch(uint256 index, uint256 expected, uint256 actual)',
  'error NoteIndexMismatch(uint256 index, uint256 expected, uint256 actual)',
  'error DomainMismatch(uint256 index, uint256 actual)',
  'error TransfersOutOfRange(uint256 index, uint256 transfers)',
  'error ValueOutOfRange(uint256 index, uint256 valueIn, uint256 valueOut)',
  'error InvalidTransfersPerProof(uint256 transfersPerProof)',
  'error MinterMismatch(uint256 index, uint256 minter)',
  'error LimitExceeded(uint256 index, uint256 limit)',
  'error ValueBalanceNotAllowed(uint256 index)',
  'error InvalidBatchProof()',
  'error InsufficientGas()',
  'error InvalidProof(uint256 index)',
  'error SupplyUnderflow(uint256 supply, uint256 burned)',
  'error PolicyDelayZero()',
  'error MissingRole(bytes32 role, address account)',
  'error RoleConflict(bytes32 role, address account)',
  'error ZeroAddress()',
]);

/** Names of DrexSettlement's custom errors. */
export type SettlementErrorName = Extract<(typeof drexSettlementAbi)[number], { type: 'error' }>['name'];

/** The generated BatchVerifier (one pairing check for a batch of proofs of one verification key). */
export const batchVerifierAbi = parseAbi([
  'function verificationKeyHash() pure returns (bytes32)',
  'function verify(uint256[8][] proofs, uint256[11][] publicInputs) view returns (bool)',
  'error EmptyBatch()',
  'error LengthMismatch(uint256 proofs, uint256 publicInputs)',
  'error InsufficientGas()',
]);

/** snarkjs's exported Groth16Verifier for the circuit's 11 public signals. */
export const groth16VerifierAbi = parseAbi([
  'function verifyProof(uint256[2] _pA, uint256[2][2] _pB, uint256[2] _pC, uint256[11] _pubSignals) view returns (bool)',
]);
