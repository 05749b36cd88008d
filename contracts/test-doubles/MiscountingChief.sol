// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY. A Sky-shaped chief (`gov()`, no IOU) whose `lock` pulls a skewed amount: less than it was
// approved for (leaving an allowance behind that the proxy must revoke) or more (which the exact
// approval must stop). Deposits are booked as the amount actually pulled. When muted, its
// `vote(address[])` returns no slate id, which no real chief does.
pragma solidity 0.8.28;

interface MiscountedTokenLike {
    function transfer(address to, uint256 amount) external returns (bool);

    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @notice Chief double that pulls `wad - under + over` on lock.
contract MiscountingChief {
    address public immutable gov;
    mapping(address => uint256) public deposits;
    uint256 public under;
    uint256 public over;
    bool public muted;

    constructor(address gov_) {
        gov = gov_;
    }

    function setSkew(uint256 under_, uint256 over_) external {
        under = under_;
        over = over_;
    }

    function lock(uint256 wad) external {
        uint256 pulled = wad - under + over;
        MiscountedTokenLike(gov).transferFrom(msg.sender, address(this), pulled);
        deposits[msg.sender] += pulled;
    }

    function free(uint256 wad) external {
        deposits[msg.sender] -= wad;
        MiscountedTokenLike(gov).transfer(msg.sender, wad);
    }

    function setMuted(bool muted_) external {
        muted = muted_;
    }

    function vote(address[] calldata yays) external view returns (bytes32) {
        if (muted) {
            assembly ("memory-safe") {
                return(0x00, 0x00)
            }
        }
        return keccak256(abi.encodePacked(yays));
    }

    // Voting a slate has no effect this double tracks.

    // solhint-disable-next-line no-empty-blocks
    function vote(bytes32) external pure {}
}
