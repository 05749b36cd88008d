// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY. A cold address that is a contract (a multisig stand-in) which may refuse ETH, so the
// proxy's failed-ETH-transfer path can be reached.
pragma solidity 0.8.28;

/// @notice Forwards calls from its deployer; accepts ETH only when told to.
contract ContractCold {
    error ContractColdNotOwner();

    address private immutable OWNER;
    bool public acceptsEth;

    constructor() {
        OWNER = msg.sender;
    }

    function setAcceptsEth(bool accepts) external {
        acceptsEth = accepts;
    }

    /// @notice Calls `target` with `data` as this contract and bubbles any revert unchanged.
    function run(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != OWNER) revert ContractColdNotOwner();
        bool ok;
        // A wallet forwards arbitrary calls.
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    receive() external payable {
        // Models a cold wallet that cannot take ETH.
        require(acceptsEth, "ContractCold: no ETH"); // solhint-disable-line gas-custom-errors
    }
}
