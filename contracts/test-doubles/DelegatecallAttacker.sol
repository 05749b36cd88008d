// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY. The attacker's own contract, which DELEGATECALLs the vote proxy implementation. Its
// storage slot 0 lines up with the implementation's `_rotatedHot`, so the attacker can make itself
// "hot" in this context: the point of the test is that this context holds only the attacker's own
// storage and balances, never a customer's.
pragma solidity 0.8.28;

/// @notice Sets slot 0 to its owner and delegatecalls `implementation` with arbitrary data.
contract DelegatecallAttacker {
    address private slot0;

    constructor() {
        slot0 = msg.sender;
    }

    /// @notice Delegatecalls `implementation` with `data`; returns success and raw returndata.
    function attack(
        address implementation,
        bytes calldata data
    ) external returns (bool ok, bytes memory result) {
        // The delegatecall is the attack.
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = implementation.delegatecall(data);
    }
}
