// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title A per-customer governance vote proxy whose funds can only ever go to its cold address.
/// @notice Two keys: `cold` (fixed forever at creation, kept offline) and `hot` (an online
/// administration key, rotatable by cold). Either may lock, free and vote. Every path that moves
/// tokens or ETH out of the proxy sends them to `cold`. There is no owner, no upgrade and no
/// generic call.
/// @dev Deposits are plain ERC-20 transfers of the chief's governance token into the proxy.
interface IVoteProxy {
    /// @notice The caller is neither the hot nor the cold key (or not cold, for cold-only calls).
    error VoteProxyUnauthorized(address caller);
    /// @notice The implementation contract was called directly instead of through a proxy clone.
    error VoteProxyImplementationLocked();
    /// @notice A lock or free of zero tokens; they would only move the chief's block guard.
    error VoteProxyZeroAmount();
    /// @notice `lock` asked for more governance tokens than the proxy holds.
    error VoteProxyInsufficientBalance(uint256 requested, uint256 available);
    /// @notice `free` asked for more than the proxy has deposited in the chief.
    error VoteProxyInsufficientDeposit(uint256 requested, uint256 deposited);
    /// @notice `rotateHot` was given the zero address or the current hot key.
    error VoteProxyInvalidHot(address newHot);
    /// @notice The token cannot be rescued (the chief's IOU token, or an address without code).
    error VoteProxyNotRescuable(address token);
    /// @notice A token transfer to cold failed or returned false.
    error VoteProxyTransferFailed(address token, uint256 amount);
    /// @notice Sending ETH to cold failed.
    error VoteProxyEthTransferFailed(uint256 amount);
    /// @notice The chief given to the implementation exposes neither DSChief's nor Sky's token getters.
    error VoteProxyUnsupportedChief(address chief);

    // Action events carry no caller: the transaction's sender says whether hot or cold acted, and
    // every word left out of a hot-action event is gas saved a thousand times a day.

    /// @notice Governance tokens held by the proxy were locked in the chief.
    event Locked(uint256 wad);
    /// @notice Governance tokens were sent to cold (after freeing them from the chief if needed).
    event Freed(uint256 wad);
    /// @notice The proxy's vote moved to `slate`.
    /// @dev Anonymous: one topic (the slate) and no data, so the clone's fast path logs it with a
    /// 3-byte LOG1 (decision 0010). No other event of the proxy has one topic and no data but
    /// `ChiefIouApproved`, whose topic is its signature hash, which no slate (the hash of a whole number
    /// of 20-byte addresses) can equal.
    event Voted(bytes32 indexed slate) anonymous;
    /// @notice Cold replaced the hot key.
    event HotRotated(address indexed previousHot, address indexed newHot);
    /// @notice Cold swept a token balance to itself.
    event Rescued(address indexed token, uint256 amount);
    /// @notice Cold swept the proxy's ETH balance to itself.
    event EthRescued(uint256 amount);
    /// @notice The chief was granted its standing allowance over the proxy's IOU tokens (DSChief only).
    event ChiefIouApproved();

    /// @notice The cold address: fixed at creation, the only destination of value.
    function cold() external view returns (address);

    /// @notice The current hot (administration) key.
    function hot() external view returns (address);

    /// @notice The customer identifier the proxy was originated for (part of its CREATE2 address): a
    /// 128-bit value such as a UUID, left-padded to a word.
    function customerId() external view returns (bytes32);

    /// @notice The chief this proxy votes in.
    function chief() external view returns (address);

    /// @notice The chief's governance token (MKR for DSChief, SKY for Sky's Chief).
    function gov() external view returns (address);

    /// @notice DSChief's IOU token, or the zero address for Sky's Chief.
    function iou() external view returns (address);

    /// @notice Lock `wad` of the governance tokens held by the proxy in the chief.
    /// @dev Callable by hot or cold. Reverts with `VoteProxyInsufficientBalance` beyond the balance.
    function lock(uint256 wad) external;

    /// @notice Free `wad` from the chief and send it to cold.
    /// @dev Callable by hot or cold. The chiefs refuse a free in the same block as the caller's
    /// lock (DSChief v1.2) or as the last `lift` (Sky).
    function free(uint256 wad) external;

    /// @notice Free everything deposited in the chief and send the proxy's whole governance token
    /// balance to cold.
    /// @dev Callable by hot or cold. This is cold's one-transaction recovery of the voting funds.
    /// @return wad The amount sent to cold.
    function freeAll() external returns (uint256 wad);

    /// @notice Vote for a set of candidates (strictly ascending addresses, as the chief requires).
    /// @dev Sent by the current hot key, both votes run in the clone's own code (ProxyArgs' fast path):
    /// same chief call, same `Voted` event, same return data as through the implementation.
    /// @return slate The slate id the chief recorded.
    function vote(address[] calldata yays) external returns (bytes32 slate);

    /// @notice Vote for an existing slate.
    function vote(bytes32 slate) external;

    /// @notice Grant DSChief an unlimited allowance over the proxy's IOU tokens, which it burns on
    /// `free`. Permissionless and idempotent: IOU is worthless outside the chief. The clone's
    /// constructor grants the same allowance at origination, so this is only ever a re-grant; it does
    /// nothing for Sky's Chief, which has no IOU.
    function approveChiefIou() external;

    /// @notice Replace the hot key. Cold only. Rotating to `cold` itself disables a separate hot key.
    function rotateHot(address newHot) external;

    /// @notice Send the proxy's whole balance of `token` to cold. Cold only; not the IOU token.
    /// @return amount The amount sent.
    function rescue(address token) external returns (uint256 amount);

    /// @notice Send the proxy's whole ETH balance (forced in; the proxy refuses plain ETH) to cold.
    /// Cold only.
    /// @return amount The amount sent.
    function rescueEth() external returns (uint256 amount);
}
