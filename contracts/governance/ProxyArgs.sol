// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Layout of a vote proxy clone's code and readers for its immutable arguments
/// @notice A clone is the 45-byte EIP-1167 forwarder followed by 72 bytes of arguments: `cold`
/// (20 bytes), the initial `hot` (20 bytes) and the `customerId` (32 bytes). The arguments are part
/// of the creation code, hence of the clone's CREATE2 address, and can never change.
library ProxyArgs {
    /// @dev Length of the EIP-1167 runtime code that precedes the arguments.
    uint256 internal constant FORWARDER_LENGTH = 45;
    uint256 internal constant COLD_OFFSET = FORWARDER_LENGTH;
    uint256 internal constant HOT_OFFSET = COLD_OFFSET + 20;
    uint256 internal constant CUSTOMER_OFFSET = HOT_OFFSET + 20;
    /// @dev 45 + 20 + 20 + 32 = 117 = 0x75, the length the creation code below returns.
    uint256 internal constant RUNTIME_LENGTH = CUSTOMER_OFFSET + 32;

    /// @notice Creation code of a clone of `implementation` carrying its arguments.
    /// @dev A 10-byte constructor that returns the runtime (RETURNDATASIZE PUSH1 0x75 DUP1 PUSH1 0x0a
    /// RETURNDATASIZE CODECOPY DUP2 RETURN), then the EIP-1167 forwarder, then the arguments.
    function creationCode(
        address implementation,
        address cold_,
        address hot_,
        bytes32 customerId_
    ) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                hex"3d607580600a3d3981f3",
                hex"363d3d373d3d3d363d73",
                implementation,
                hex"5af43d82803e903d91602b57fd5bf3",
                cold_,
                hot_,
                customerId_
            );
    }

    /// @notice The cold address of the clone currently executing (through delegatecall).
    function cold() internal view returns (address) {
        return address(bytes20(_word(address(this), COLD_OFFSET)));
    }

    /// @notice The hot address the executing clone was created with.
    function initialHot() internal view returns (address) {
        return address(bytes20(_word(address(this), HOT_OFFSET)));
    }

    /// @notice The customer identifier the executing clone was created for.
    function customerId() internal view returns (bytes32) {
        return _word(address(this), CUSTOMER_OFFSET);
    }

    /// @notice Reads the arguments out of any account's code (meaningful only for a clone).
    function readFrom(
        address clone
    ) internal view returns (address cold_, address hot_, bytes32 customerId_) {
        cold_ = address(bytes20(_word(clone, COLD_OFFSET)));
        hot_ = address(bytes20(_word(clone, HOT_OFFSET)));
        customerId_ = _word(clone, CUSTOMER_OFFSET);
    }

    /// @dev 32 bytes of `account`'s code from `offset` (zero-padded past the end). Under delegatecall,
    /// address(this) is the clone, whose code holds the arguments.
    function _word(address account, uint256 offset) private view returns (bytes32 value) {
        assembly ("memory-safe") {
            extcodecopy(account, 0x00, offset, 0x20)
            value := mload(0x00)
        }
    }
}
