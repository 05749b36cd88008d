// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVoteProxyFactory} from "../interfaces/IVoteProxyFactory.sol";
import {ProxyArgs} from "./ProxyArgs.sol";
import {VoteProxy} from "./VoteProxy.sol";

/// @title VoteProxyFactory
/// @notice See {IVoteProxyFactory}. One factory (and one implementation) per chief.
contract VoteProxyFactory is IVoteProxyFactory {
    address private immutable CHIEF;
    address private immutable IMPLEMENTATION;
    /// @dev DSChief's IOU token, which each clone's constructor approves for the chief; zero for Sky.
    address private immutable IOU;

    constructor(address chief_) {
        CHIEF = chief_;
        VoteProxy implementation_ = new VoteProxy(chief_);
        IMPLEMENTATION = address(implementation_);
        IOU = implementation_.iou();
    }

    /// @notice What a clone's constructor asks its creator, with empty calldata: (chief, iou) as two
    /// words, in one call (ProxyArgs lists the constructor). Any other call that matches no function
    /// reverts, as it would without a fallback.
    // The fallback is the clone constructor's cheapest question (one warm call, no selector
    // dispatch): it answers a fixed pair and refuses everything else, so its logic is deliberate.
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        if (msg.data.length != 0) revert VoteProxyFactoryUnknownCall();
        (address chief_, address iou_) = (CHIEF, IOU);
        assembly ("memory-safe") {
            mstore(0x00, chief_)
            mstore(0x20, iou_)
            return(0x00, 0x40)
        }
    }

    /// @inheritdoc IVoteProxyFactory
    function chief() external view returns (address) {
        return CHIEF;
    }

    /// @inheritdoc IVoteProxyFactory
    function iou() external view returns (address) {
        return IOU;
    }

    /// @inheritdoc IVoteProxyFactory
    function implementation() external view returns (address) {
        return IMPLEMENTATION;
    }

    /// @inheritdoc IVoteProxyFactory
    function isProxy(address proxy) external view returns (bool) {
        // A CREATE2 address of this factory can only hold code this factory deployed, and this
        // factory only ever deploys the clone creation code. So an account is one of our proxies
        // exactly when its address is the CREATE2 address of the arguments written in its code.
        if (proxy.code.length != ProxyArgs.RUNTIME_LENGTH) return false;
        (address cold, address hot, bytes32 customerId) = ProxyArgs.readFrom(proxy);
        return proxy == _addressOf(customerId, _creationCode(cold, hot, customerId));
    }

    /// @inheritdoc IVoteProxyFactory
    function predictProxy(bytes32 customerId, address cold, address hot) external view returns (address) {
        // Refusing what createProxy refuses: nobody should fund an address that can never hold a proxy.
        _checkArgs(customerId, cold, hot);
        return _addressOf(customerId, _creationCode(cold, hot, customerId));
    }

    /// @inheritdoc IVoteProxyFactory
    function createProxy(bytes32 customerId, address cold, address hot) external returns (address proxy) {
        _checkArgs(customerId, cold, hot);
        bytes memory code = _creationCode(cold, hot, customerId);
        assembly ("memory-safe") {
            proxy := create2(0, add(code, 0x20), mload(code), customerId)
        }
        if (proxy == address(0)) {
            // Only now is the address worth computing: checking it up front would cost every
            // origination a cold account read, to improve only the error of a failing one.
            address predicted = _addressOf(customerId, code);
            if (predicted.code.length != 0) revert VoteProxyFactoryProxyExists(predicted);
            revert VoteProxyFactoryCreateFailed();
        }
        // The event, as `emit` would write it, without the free-memory bookkeeping.
        bytes32 topic = ProxyCreated.selector;
        assembly ("memory-safe") {
            let data := mload(0x40)
            mstore(data, customerId)
            mstore(add(data, 0x20), cold)
            mstore(add(data, 0x40), hot)
            log2(data, 0x60, topic, proxy)
        }
    }

    function _checkArgs(bytes32 customerId, address cold, address hot) private pure {
        // The clone keeps 16 bytes of the identifier in its code (a UUID's worth, decision 0010).
        if (uint256(customerId) >> 128 != 0) revert VoteProxyFactoryInvalidCustomerId(customerId);
        if (cold == address(0)) revert VoteProxyFactoryInvalidCold(cold);
        // A hot key equal to cold would put the cold key online.
        if (hot == address(0) || hot == cold) revert VoteProxyFactoryInvalidHot(hot);
    }

    function _creationCode(
        address cold,
        address hot,
        bytes32 customerId
    ) private view returns (bytes memory) {
        return ProxyArgs.creationCode(IMPLEMENTATION, cold, hot, customerId);
    }

    /// @dev The CREATE2 address of `creationCode` deployed by this factory with salt `customerId`.
    function _addressOf(bytes32 customerId, bytes memory creationCode) private view returns (address) {
        bytes32 codeHash = keccak256(creationCode);
        return
            address(
                uint160(
                    uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), customerId, codeHash)))
                )
            );
    }
}
