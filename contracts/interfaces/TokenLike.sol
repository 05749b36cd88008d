// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice The ERC-20 calls a vote proxy makes. Return values are checked leniently (see SafeTransfer).
interface TokenLike {
    function balanceOf(address owner) external view returns (uint256);

    function allowance(address owner, address spender) external view returns (uint256);

    function approve(address spender, uint256 amount) external returns (bool);

    function transfer(address to, uint256 amount) external returns (bool);
}
