// SPDX-License-Identifier: GPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of dapphub/ds-math `math.sol` for the two operations the
// chief and token use (`add`, `sub`), including their revert reasons, so an over-free fails with
// "ds-math-sub-underflow" exactly as on mainnet. Written afresh for Solidity 0.8.28 (the wrapping
// arithmetic is spelled `unchecked` so the reason, not a Panic, is what callers see).
// Revert strings are part of the reference behaviour we reproduce.
// solhint-disable gas-custom-errors
pragma solidity 0.8.28;

/// @notice ds-math's overflow-checked add and sub with their original revert reasons.
contract DSMath {
    function add(uint256 x, uint256 y) internal pure returns (uint256 z) {
        unchecked {
            z = x + y;
        }
        require(z >= x, "ds-math-add-overflow");
    }

    function sub(uint256 x, uint256 y) internal pure returns (uint256 z) {
        unchecked {
            z = x - y;
        }
        require(z <= x, "ds-math-sub-underflow");
    }
}
