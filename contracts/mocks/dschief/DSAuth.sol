// SPDX-License-Identifier: GPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of dapphub/ds-auth `auth.sol` (the 0.5-era version that
// is flattened into MakerDAO's verified DSChief v1.2 source at 0x0a3f6849f78076aefaDf113F5BED87720274dDC0).
// Written afresh for Solidity 0.8.28. Deviations: `setOwner`/`setAuthority` are `virtual` so DSChief can
// refuse them as the original does by shadowing; everything else (owner-or-self-or-authority check,
// "ds-auth-unauthorized" reason, LogSetOwner/LogSetAuthority events) is kept.
// Revert strings are part of the reference behaviour we reproduce.
// solhint-disable gas-custom-errors
pragma solidity 0.8.28;

// The name is the reference contracts' own, kept so the ABI and the sources read alike.
// solhint-disable interface-starts-with-i
/// @notice ds-auth's pluggable permission oracle.
interface DSAuthority {
    function canCall(address src, address dst, bytes4 sig) external view returns (bool);
}
// solhint-enable interface-starts-with-i

/// @notice ds-auth's events, kept in their own contract as the original does.
contract DSAuthEvents {
    event LogSetAuthority(address indexed authority);
    event LogSetOwner(address indexed owner);
}

/// @notice Owner plus optional authority, exactly the rule ds-auth applies.
contract DSAuth is DSAuthEvents {
    DSAuthority public authority;
    address public owner;

    constructor() {
        owner = msg.sender;
        emit LogSetOwner(msg.sender);
    }

    modifier auth() {
        require(isAuthorized(msg.sender, msg.sig), "ds-auth-unauthorized");
        _;
    }

    function setOwner(address owner_) public virtual auth {
        owner = owner_;
        emit LogSetOwner(owner);
    }

    function setAuthority(DSAuthority authority_) public virtual auth {
        authority = authority_;
        emit LogSetAuthority(address(authority));
    }

    function isAuthorized(address src, bytes4 sig) internal view returns (bool) {
        if (src == address(this)) {
            return true;
        } else if (src == owner) {
            return true;
        } else if (address(authority) == address(0)) {
            return false;
        } else {
            return authority.canCall(src, address(this), sig);
        }
    }
}
