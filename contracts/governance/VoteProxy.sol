// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ChiefLike, DSChiefLike, SkyChiefLike} from "../interfaces/ChiefLike.sol";
import {IVoteProxy} from "../interfaces/IVoteProxy.sol";
import {TokenLike} from "../interfaces/TokenLike.sol";
import {ProxyArgs} from "./ProxyArgs.sol";

/// @title VoteProxy implementation (used only through clones made by VoteProxyFactory)
/// @notice See {IVoteProxy}. The chief and its tokens are immutables of this implementation; the
/// customer's `cold` and initial `hot` addresses are immutable arguments appended to each clone's
/// code, so a clone needs no initialiser and can never be initialised twice.
contract VoteProxy is IVoteProxy {
    /// @dev The implementation's own address: calls that do not come through a clone are refused.
    address private immutable SELF;
    address private immutable CHIEF;
    address private immutable GOV;
    /// @dev Zero for Sky's Chief, which has no IOU token.
    address private immutable IOU;

    /// @dev The current hot key XOR the hot key the clone was created with (so zero until cold first
    /// rotates it). Storage slot 0, which the clone's vote fast path reads and XORs with the initial hot
    /// key in its code (ProxyArgs): it must stay the first and only storage variable.
    address private _hotXor;

    constructor(address chief_) {
        if (chief_.code.length == 0) revert VoteProxyUnsupportedChief(chief_);
        // Capability detection: DSChief exposes IOU(); Sky's Chief exposes gov() and no IOU.
        // Sky's Chief also answers GOV(), so only IOU() tells the families apart; a chief whose IOU()
        // is zero (the 2023 dss-chief draft) has no IOU token and behaves like Sky's.
        (bool hasIou, bytes memory iouData) = chief_.staticcall(abi.encodeCall(DSChiefLike.IOU, ()));
        address gov_;
        address iou_ = hasIou && iouData.length == 32 ? abi.decode(iouData, (address)) : address(0);
        if (iou_ != address(0)) {
            gov_ = DSChiefLike(chief_).GOV();
            if (iou_.code.length == 0) revert VoteProxyUnsupportedChief(chief_);
        } else {
            (bool isSky, bytes memory govData) = chief_.staticcall(abi.encodeCall(SkyChiefLike.gov, ()));
            if (!isSky || govData.length != 32) revert VoteProxyUnsupportedChief(chief_);
            gov_ = abi.decode(govData, (address));
        }
        if (gov_.code.length == 0) revert VoteProxyUnsupportedChief(chief_);
        SELF = address(this);
        CHIEF = chief_;
        GOV = gov_;
        IOU = iou_;
    }

    modifier onlyClone() {
        // The implementation itself has no cold/hot arguments: using it directly is refused.
        if (address(this) == SELF) revert VoteProxyImplementationLocked();
        _;
    }

    modifier onlyHotOrCold() {
        // Hot is checked first: it makes nearly every call. Re-entrant calls from the chief or a
        // token fail here too, because their msg.sender is neither key.
        if (msg.sender != hot() && msg.sender != ProxyArgs.cold()) revert VoteProxyUnauthorized(msg.sender);
        _;
    }

    modifier onlyCold() {
        if (msg.sender != ProxyArgs.cold()) revert VoteProxyUnauthorized(msg.sender);
        _;
    }

    /// @inheritdoc IVoteProxy
    function cold() external view onlyClone returns (address) {
        return ProxyArgs.cold();
    }

    /// @inheritdoc IVoteProxy
    function hot() public view onlyClone returns (address) {
        return address(uint160(_hotXor) ^ uint160(ProxyArgs.initialHot()));
    }

    /// @inheritdoc IVoteProxy
    function customerId() external view onlyClone returns (bytes32) {
        return ProxyArgs.customerId();
    }

    /// @inheritdoc IVoteProxy
    function chief() external view returns (address) {
        return CHIEF;
    }

    /// @inheritdoc IVoteProxy
    function gov() external view returns (address) {
        return GOV;
    }

    /// @inheritdoc IVoteProxy
    function iou() external view returns (address) {
        return IOU;
    }

    /// @inheritdoc IVoteProxy
    function lock(uint256 wad) external onlyClone onlyHotOrCold {
        if (wad == 0) revert VoteProxyZeroAmount();
        uint256 available = TokenLike(GOV).balanceOf(address(this));
        if (wad > available) revert VoteProxyInsufficientBalance(wad, available);
        // Approve exactly what is locked and revoke any remainder: the chief never holds a standing
        // allowance over the proxy's unlocked governance tokens.
        TokenLike(GOV).approve(CHIEF, wad);
        ChiefLike(CHIEF).lock(wad);
        if (TokenLike(GOV).allowance(address(this), CHIEF) != 0) TokenLike(GOV).approve(CHIEF, 0);
        emit Locked(wad);
    }

    /// @inheritdoc IVoteProxy
    function free(uint256 wad) external onlyClone onlyHotOrCold {
        if (wad == 0) revert VoteProxyZeroAmount();
        uint256 deposited = ChiefLike(CHIEF).deposits(address(this));
        if (wad > deposited) revert VoteProxyInsufficientDeposit(wad, deposited);
        _freeFromChief(wad);
        // Freed tokens only ever leave towards the cold address.
        _sendToken(GOV, ProxyArgs.cold(), wad);
        emit Freed(wad);
    }

    /// @inheritdoc IVoteProxy
    function freeAll() external onlyClone onlyHotOrCold returns (uint256 wad) {
        uint256 deposited = ChiefLike(CHIEF).deposits(address(this));
        if (deposited != 0) _freeFromChief(deposited);
        wad = TokenLike(GOV).balanceOf(address(this));
        // Everything, locked or not, goes to the cold address.
        if (wad != 0) _sendToken(GOV, ProxyArgs.cold(), wad);
        emit Freed(wad);
    }

    /// @inheritdoc IVoteProxy
    function vote(address[] calldata yays) external onlyClone onlyHotOrCold returns (bytes32 slate) {
        // The chief's vote(address[]) has this selector and argument encoding, already validated by
        // the decoder: the calldata is forwarded unchanged, which saves re-encoding on a hot path.
        yays;
        slate = _forwardToChief();
        emit Voted(slate);
    }

    /// @inheritdoc IVoteProxy
    function vote(bytes32 slate) external onlyClone onlyHotOrCold {
        ChiefLike(CHIEF).vote(slate);
        emit Voted(slate);
    }

    /// @inheritdoc IVoteProxy
    function rotateHot(address newHot) external onlyClone onlyCold {
        address previousHot = hot();
        if (newHot == address(0) || newHot == previousHot) revert VoteProxyInvalidHot(newHot);
        _hotXor = address(uint160(newHot) ^ uint160(ProxyArgs.initialHot()));
        emit HotRotated(previousHot, newHot);
    }

    /// @inheritdoc IVoteProxy
    function rescue(address token) external onlyClone onlyCold returns (uint256 amount) {
        // The IOU token must stay: DSChief burns it to free the locked governance tokens.
        if (token == IOU || token.code.length == 0) revert VoteProxyNotRescuable(token);
        amount = TokenLike(token).balanceOf(address(this));
        // Rescued tokens only ever leave towards the cold address.
        _sendToken(token, ProxyArgs.cold(), amount);
        emit Rescued(token, amount);
    }

    /// @inheritdoc IVoteProxy
    function rescueEth() external onlyClone onlyCold returns (uint256 amount) {
        amount = address(this).balance;
        // ETH only ever leaves towards the cold address.
        (bool sent, ) = ProxyArgs.cold().call{value: amount}("");
        if (!sent) revert VoteProxyEthTransferFailed(amount);
        emit EthRescued(amount);
    }

    /// @inheritdoc IVoteProxy
    function approveChiefIou() external onlyClone {
        // DSChief burns IOU from the proxy when freeing, which needs an allowance. Unlike GOV, IOU is
        // worth nothing outside the chief that mints it, so a standing allowance to that chief
        // exposes nothing: anyone may (re)grant it, and the factory does at origination.
        if (IOU != address(0)) {
            TokenLike(IOU).approve(CHIEF, type(uint256).max);
            emit ChiefIouApproved();
        }
    }

    /// @dev Frees `wad` from the chief into the proxy (DSChief burns the IOU it approved at origination).
    function _freeFromChief(uint256 wad) private {
        ChiefLike(CHIEF).free(wad);
    }

    /// @dev Calls the chief with this call's own calldata, bubbles up its revert, returns the first
    /// word it returned.
    function _forwardToChief() private returns (bytes32 result) {
        address chief_ = CHIEF;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            if iszero(call(gas(), chief_, 0, ptr, calldatasize(), 0x00, 0x20)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            // A chief that returns less than a word is not a chief we support.
            if lt(returndatasize(), 0x20) {
                revert(0, 0)
            }
            result := mload(0x00)
        }
    }

    /// @dev ERC-20 transfer that accepts tokens returning nothing (USDT style) and refuses `false`.
    function _sendToken(address token, address to, uint256 amount) private {
        // A low-level call, to accept tokens that return nothing.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory data) = token.call(abi.encodeCall(TokenLike.transfer, (to, amount)));
        if (!ok || (data.length != 0 && (data.length != 32 || !abi.decode(data, (bool))))) {
            revert VoteProxyTransferFailed(token, amount);
        }
    }
}
