// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice A minimal role map (AccessControl-like, no dependencies). ADMIN_ROLE grants and revokes.
/// @dev Separation of duties: an account never holds ADMIN_ROLE together with SETTLER_ROLE or MINTER_ROLE
///      (granting one to a holder of the other reverts RoleConflict), so the hot settler key cannot change
///      roles or policy, and the admin key cannot settle or mint.
abstract contract Roles {
    bytes32 public constant ADMIN_ROLE = keccak256("drex.role.admin");
    /// @notice May submit batches for settlement.
    bytes32 public constant SETTLER_ROLE = keccak256("drex.role.settler");
    /// @notice Must also be held by the submitter of a batch that carries a value balance (deposit or withdrawal).
    bytes32 public constant MINTER_ROLE = keccak256("drex.role.minter");

    mapping(bytes32 role => mapping(address account => bool)) private _members;

    event RoleGranted(bytes32 indexed role, address indexed account, address indexed by);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed by);

    error MissingRole(bytes32 role, address account);
    /// @notice `account` holds a role that excludes `role` (admin vs settler/minter).
    error RoleConflict(bytes32 role, address account);
    error ZeroAddress();

    modifier onlyRole(bytes32 role) {
        if (!_members[role][msg.sender]) revert MissingRole(role, msg.sender);
        _;
    }

    function hasRole(bytes32 role, address account) public view returns (bool) {
        return _members[role][account];
    }

    function grantRole(bytes32 role, address account) external onlyRole(ADMIN_ROLE) {
        _grant(role, account);
    }

    function revokeRole(bytes32 role, address account) external onlyRole(ADMIN_ROLE) {
        if (_members[role][account]) {
            _members[role][account] = false;
            emit RoleRevoked(role, account, msg.sender);
        }
    }

    function _grant(bytes32 role, address account) internal {
        if (account == address(0)) revert ZeroAddress();
        bool conflict = role == ADMIN_ROLE
            ? _members[SETTLER_ROLE][account] || _members[MINTER_ROLE][account]
            : (role == SETTLER_ROLE || role == MINTER_ROLE) && _members[ADMIN_ROLE][account];
        if (conflict) revert RoleConflict(role, account);
        if (!_members[role][account]) {
            _members[role][account] = true;
            emit RoleGranted(role, account, msg.sender);
        }
    }
}
