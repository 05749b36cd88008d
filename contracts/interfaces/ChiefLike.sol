// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice The subset of a MakerDAO/Sky chief that a vote proxy talks to.
/// @dev Both families share these calls: MakerDAO's DSChief v1.2 (GOV + IOU tokens) and Sky's 2025
/// Chief (no IOU token). Family-specific getters live in `DSChiefLike` and `SkyChiefLike`.
interface ChiefLike {
    function lock(uint256 wad) external;

    function free(uint256 wad) external;

    function vote(address[] calldata yays) external returns (bytes32 slate);

    function vote(bytes32 slate) external;

    function deposits(address voter) external view returns (uint256);
}

/// @notice MakerDAO DSChief v1.2: locking pulls GOV and mints IOU; freeing burns IOU.
interface DSChiefLike {
    function GOV() external view returns (address);

    function IOU() external view returns (address);
}

/// @notice Sky's 2025 Chief: locking uses `transferFrom`, freeing uses `transfer`; no IOU token.
interface SkyChiefLike {
    function gov() external view returns (address);
}
