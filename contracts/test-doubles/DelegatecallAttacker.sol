// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY. The attacker's own contract, which DELEGATECALLs the vote proxy implementation. Its
// storage slot 0 lines up with the implementation's `_hotXor`, and the implementation reads the
// "initial hot key" from this contract's own code (offset 0x1f), so the attacker can make itself
// "hot" in this context: the point of the test is that this context holds only the attacker's own
// storage and balances, never a customer's.
pragma solidity 0.8.28;

/// @notice Makes its owner the hot key of its own context and delegatecalls `implementation`.
contract DelegatecallAttacker {
    address private slot0;
    address private immutable OWNER;

    constructor() {
        OWNER = msg.sender;
    }

    /// @notice Delegatecalls `implementation` with `data`; returns success and raw returndata.
    function attack(
        address implementation,
        bytes calldata data
    ) external returns (bool ok, bytes memory result) {
        // hot = slot 0 XOR the 20 bytes at offset 0x1f of the executing code: choose slot 0 so that
        // hot is the owner (the code is only readable once deployed, hence here, not in the constructor).
        bytes20 initial;
        assembly ("memory-safe") {
            extcodecopy(address(), 0x00, 0x1f, 0x20)
            initial := mload(0x00)
        }
        slot0 = address(uint160(OWNER) ^ uint160(initial));
        // The delegatecall is the attack.
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = implementation.delegatecall(data);
    }
}
