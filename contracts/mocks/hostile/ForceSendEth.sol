// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY hostile double. Do not deploy outside tests.
pragma solidity 0.8.28;

/// @notice Forces ETH into `to` without calling it. The constructor creates a throw-away child whose
/// init code is `PUSH20 to; SELFDESTRUCT`: the opcode credits `to` and runs no code there, so neither a
/// `receive` function nor its absence matters. Since EIP-6780 (Cancun) a contract destroyed in its
/// creation transaction still sends its whole balance, so this keeps working on current networks.
/// @dev The init code is assembled by hand instead of writing Solidity's `selfdestruct`, which the
/// compiler flags as deprecated in every form; the EVM behaviour relied on is the same.
contract ForceSendEth {
    error ForceSendEthFailed(address to);

    constructor(address payable to) payable {
        bytes memory initCode = abi.encodePacked(hex"73", to, hex"ff");
        address child;
        assembly {
            child := create(callvalue(), add(initCode, 0x20), mload(initCode))
        }
        if (child == address(0)) revert ForceSendEthFailed(to);
    }
}
