// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice A minimal role map (AccessControl-like, no dependencies). ADMIN_ROLE grants and revokes.
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
        if (!_members[role][account]) {
            _members[role][account] = true;
            emit RoleGranted(role, account, msg.sender);
        }
    }
}
