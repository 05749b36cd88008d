// SPDX-License-Identifier: GPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of dapphub/ds-roles `roles.sol` (as flattened into the
// verified DSChief v1.2 source): root users, 256 role bits per user, per-capability role masks and public
// capabilities. Written afresh for Solidity 0.8.28. Deviations: `isUserRoot`/`setRootUser` are `virtual`
// (DSChief overrides them); `2 ** role` is written as a shift; no other change.
pragma solidity 0.8.28;

import {DSAuth, DSAuthority} from "./DSAuth.sol";

/// @notice Role-based DSAuthority; DSChief builds on it so the elected `hat` becomes the root user.
contract DSRoles is DSAuth, DSAuthority {
    mapping(address => bool) internal _rootUsers;
    mapping(address => bytes32) internal _userRoles;
    mapping(address => mapping(bytes4 => bytes32)) internal _capabilityRoles;
    mapping(address => mapping(bytes4 => bool)) internal _publicCapabilities;

    function getUserRoles(address who) public view returns (bytes32) {
        return _userRoles[who];
    }

    function getCapabilityRoles(address code, bytes4 sig) public view returns (bytes32) {
        return _capabilityRoles[code][sig];
    }

    function isUserRoot(address who) public view virtual returns (bool) {
        return _rootUsers[who];
    }

    function isCapabilityPublic(address code, bytes4 sig) public view returns (bool) {
        return _publicCapabilities[code][sig];
    }

    function hasUserRole(address who, uint8 role) public view returns (bool) {
        return (getUserRoles(who) & _bit(role)) != bytes32(0);
    }

    function canCall(address caller, address code, bytes4 sig) public view returns (bool) {
        if (isUserRoot(caller) || isCapabilityPublic(code, sig)) {
            return true;
        }
        return (getUserRoles(caller) & getCapabilityRoles(code, sig)) != bytes32(0);
    }

    function setRootUser(address who, bool enabled) public virtual auth {
        _rootUsers[who] = enabled;
    }

    function setUserRole(address who, uint8 role, bool enabled) public auth {
        _userRoles[who] = enabled ? _userRoles[who] | _bit(role) : _userRoles[who] & ~_bit(role);
    }

    function setPublicCapability(address code, bytes4 sig, bool enabled) public auth {
        _publicCapabilities[code][sig] = enabled;
    }

    function setRoleCapability(uint8 role, address code, bytes4 sig, bool enabled) public auth {
        bytes32 roles = _capabilityRoles[code][sig];
        _capabilityRoles[code][sig] = enabled ? roles | _bit(role) : roles & ~_bit(role);
    }

    function _bit(uint8 role) private pure returns (bytes32) {
        return bytes32(uint256(1) << role);
    }
}
