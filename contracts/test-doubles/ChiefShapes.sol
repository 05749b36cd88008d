// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY. Chiefs that only have the getters VoteProxy's constructor probes, to drive its
// capability detection down every branch (DSChief shape, Sky shape, malformed answers).
pragma solidity 0.8.28;

/// @notice Exposes DSChief's `IOU()` and `GOV()` with whatever addresses the test chooses.
contract DSChiefShape {
    address public IOU;
    address public GOV;

    constructor(address iou_, address gov_) {
        IOU = iou_;
        GOV = gov_;
    }
}

/// @notice Exposes only Sky's `gov()` getter.
contract SkyChiefShape {
    address public gov;

    constructor(address gov_) {
        gov = gov_;
    }
}

/// @notice A chief whose `IOU()` answers zero (like the 2023 dss-chief draft) and that exposes `gov()`.
contract ZeroIouChiefShape {
    address public gov;

    constructor(address gov_) {
        gov = gov_;
    }

    function IOU() external pure returns (address) {
        return address(0);
    }
}

/// @notice Answers every call with `size` zero bytes: neither a 32-byte `IOU()` nor `gov()`.
contract MalformedChief {
    uint256 private immutable SIZE;

    constructor(uint256 size) {
        SIZE = size;
    }

    // Answering every selector is the point.

    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        uint256 size = SIZE;
        assembly ("memory-safe") {
            return(0x00, size)
        }
    }
}
