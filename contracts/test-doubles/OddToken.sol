// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY. An ERC-20 whose `transfer` answer is chosen by the test, to reach every branch of the
// proxy's lenient transfer check: `true`, `false`, nothing (USDT style), a revert, or 64 bytes.
pragma solidity 0.8.28;

/// @notice Minimal balance-tracking token with a switchable `transfer` return convention.
contract OddToken {
    enum Mode {
        ReturnsTrue,
        ReturnsFalse,
        ReturnsNothing,
        Reverts,
        ReturnsTwoWords
    }

    error OddTokenRefused();

    mapping(address => uint256) public balanceOf;
    Mode public mode;

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address, uint256) external pure returns (bool) {
        return true;
    }

    function transfer(address to, uint256 amount) external {
        Mode current = mode;
        if (current == Mode.Reverts) revert OddTokenRefused();
        // A token answering `false` moves nothing, like the old tokens that return instead of revert.
        if (current != Mode.ReturnsFalse) {
            balanceOf[msg.sender] -= amount;
            balanceOf[to] += amount;
        }
        assembly ("memory-safe") {
            switch current
            case 0 {
                mstore(0x00, 1)
                return(0x00, 0x20)
            }
            case 1 {
                mstore(0x00, 0)
                return(0x00, 0x20)
            }
            case 2 {
                return(0x00, 0x00)
            }
            default {
                mstore(0x00, 1)
                mstore(0x20, 1)
                return(0x00, 0x40)
            }
        }
    }
}
