// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY. A Sky-shaped chief (`gov()`, no IOU) whose votes accept ETH, which neither real chief's
// do. It shows what the clone's vote fast path forwards (decision 0010): exactly the ETH the hot key
// attached to its own call, never the proxy's balance.
pragma solidity 0.8.28;

/// @notice Chief double with payable votes that counts the ETH each vote brought.
contract PayableVoteChief {
    address public immutable gov;
    mapping(address => bytes32) public votes;
    uint256 public received;

    constructor(address gov_) {
        gov = gov_;
    }

    function vote(address[] calldata yays) external payable returns (bytes32 slate) {
        slate = keccak256(abi.encodePacked(yays));
        votes[msg.sender] = slate;
        received += msg.value;
    }

    function vote(bytes32 slate) external payable {
        votes[msg.sender] = slate;
        received += msg.value;
    }
}
