// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Originates per-customer vote proxies as minimal clones at predictable addresses.
/// @notice Each proxy is a minimal clone of one implementation (EIP-1167's forwarder plus a vote fast
/// path, see `ProxyArgs`) with the customer's `cold` address, initial `hot` key and `customerId` in
/// its code. Because they are part of the clone's creation code, they are part of its CREATE2
/// address: the address the service hands out before funding commits to the cold destination, and
/// nobody can originate a different proxy there.
/// Origination is permissionless, takes one transaction and needs no cold-key signature.
interface IVoteProxyFactory {
    /// @notice The cold address is zero.
    error VoteProxyFactoryInvalidCold(address cold);
    /// @notice The hot address is zero or equal to cold (a cold key must never be online).
    error VoteProxyFactoryInvalidHot(address hot);
    /// @notice The customer identifier does not fit in 128 bits (it is a UUID, left-padded to a word).
    error VoteProxyFactoryInvalidCustomerId(bytes32 customerId);
    /// @notice A proxy with these parameters already exists.
    error VoteProxyFactoryProxyExists(address proxy);
    /// @notice CREATE2 failed.
    error VoteProxyFactoryCreateFailed();
    /// @notice Calldata that matches no function (only empty calldata reaches the fallback's answer).
    error VoteProxyFactoryUnknownCall();

    /// @notice A proxy was originated.
    /// @dev Only the proxy is indexed: a topic costs 375 gas against 256 for a data word, and the
    /// customer's proxy is found without an index, by `predictProxy` (decision 0010).
    event ProxyCreated(bytes32 customerId, address indexed proxy, address cold, address hot);

    /// @notice The chief every proxy of this factory votes in.
    function chief() external view returns (address);

    /// @notice The chief's IOU token (DSChief), or zero (Sky's Chief). A proxy's constructor reads it and
    /// the chief from the factory creating it (through the fallback, in one call), to approve the chief
    /// for its IOU and to vote directly.
    function iou() external view returns (address);

    /// @notice The implementation every proxy delegates to.
    function implementation() external view returns (address);

    /// @notice True exactly for the proxies this factory originated. Computed, not stored: an account
    /// is a proxy of this factory when its address is the CREATE2 address of the arguments in its code.
    function isProxy(address proxy) external view returns (bool);

    /// @notice The address `createProxy(customerId, cold, hot)` deploys to. Reverts, as createProxy
    /// does, for a customerId beyond 128 bits, a zero cold, a zero hot or a hot equal to cold.
    function predictProxy(bytes32 customerId, address cold, address hot) external view returns (address);

    /// @notice Originate the proxy for `customerId` (128 bits, e.g. a UUID, left-padded to a word) with
    /// cold address `cold` and hot key `hot`.
    /// @return proxy The new proxy's address (equal to `predictProxy(customerId, cold, hot)`).
    function createProxy(bytes32 customerId, address cold, address hot) external returns (address proxy);
}
