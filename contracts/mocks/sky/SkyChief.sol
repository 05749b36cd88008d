// SPDX-License-Identifier: GPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of Sky's 2025 Chief (sky-ecosystem/chief `src/Chief.sol`,
// Solidity ^0.8.21, deployed for SKY at 0x929d9A1435662357F54AdcF64DcEE4d6b867a6f9): no IOU, GOV moved
// with plain transferFrom/transfer, one global `last` = block of the last lift (or of launch), `free`
// refused in that block, `lift` allowed again in the same block or once `block.number > last +
// liftCooldown`, `launch()` at `launchThreshold` approvals on address(0), reasons "Chief/...", events
// Launch/Lock/Free/Etch/Vote/Lift, compatibility getters GOV() and MAX_YAYS() (there is NO IOU() getter).
// Written afresh for Solidity 0.8.28 under the name SkyChief. No behavioural deviation intended; gas
// differs slightly (the weight loops read the slate from storage instead of copying it to memory).
// The Chief's revert strings are part of the reference behaviour.
// solhint-disable gas-custom-errors
pragma solidity 0.8.28;

import {DSAuthority} from "../dschief/DSAuth.sol";

// The name is the reference contracts' own, kept so the ABI and the sources read alike.
// solhint-disable interface-starts-with-i
/// @notice The token calls the Sky Chief makes; their return values are ignored, as in the original.
interface SkyGemLike {
    function transfer(address, uint256) external;
    function transferFrom(address, address, uint256) external;
}
// solhint-enable interface-starts-with-i

/// @notice Sky's Chief: approval voting over byte-ordered slates with a lift cooldown.
contract SkyChief is DSAuthority {
    uint256 public live;
    address public hat;
    mapping(bytes32 slate => address[] yays) public slates;
    mapping(address usr => bytes32 slate) public votes;
    mapping(address yay => uint256 amt) public approvals;
    mapping(address usr => uint256 amt) public deposits;
    uint256 public last;

    SkyGemLike public immutable gov;
    uint256 public immutable maxYays;
    uint256 public immutable launchThreshold;
    uint256 public immutable liftCooldown;

    bytes32 public constant EMPTY_SLATE = keccak256(abi.encodePacked(new address[](0)));

    event Launch();
    event Lock(address indexed usr, uint256 wad);
    event Free(address indexed usr, uint256 wad);
    event Etch(bytes32 indexed slate, address[] yays);
    event Vote(address indexed usr, bytes32 indexed slate);
    event Lift(address indexed whom);

    constructor(address gov_, uint256 maxYays_, uint256 launchThreshold_, uint256 liftCooldown_) {
        gov = SkyGemLike(gov_);
        maxYays = maxYays_;
        launchThreshold = launchThreshold_;
        liftCooldown = liftCooldown_;
    }

    function length(bytes32 slate) external view returns (uint256) {
        return slates[slate].length;
    }

    function canCall(address caller, address, bytes4) external view returns (bool ok) {
        ok = live == 1 && caller == hat;
    }

    function launch() external {
        require(live == 0, "Chief/already-live");
        require(hat == address(0), "Chief/not-address-zero");
        require(approvals[address(0)] >= launchThreshold, "Chief/less-than-threshold");
        live = 1;
        last = block.number;
        emit Launch();
    }

    function lock(uint256 wad) external {
        gov.transferFrom(msg.sender, address(this), wad);
        deposits[msg.sender] += wad;
        _addWeight(wad, votes[msg.sender]);
        emit Lock(msg.sender, wad);
    }

    function free(uint256 wad) external {
        // Nobody frees in the block of a lift, so weight borrowed for a lift cannot be repaid in it.
        require(block.number > last, "Chief/cant-free-same-block");
        deposits[msg.sender] -= wad;
        _subWeight(wad, votes[msg.sender]);
        gov.transfer(msg.sender, wad);
        emit Free(msg.sender, wad);
    }

    function etch(address[] calldata yays) public returns (bytes32 slate) {
        require(yays.length <= maxYays, "Chief/greater-max-yays");
        for (uint256 i = 1; i < yays.length; i++) {
            // Strictly increasing addresses give both a canonical order and no duplicates.
            require(yays[i - 1] < yays[i], "Chief/yays-not-ordered");
        }
        slate = keccak256(abi.encodePacked(yays));
        slates[slate] = yays;
        emit Etch(slate, yays);
    }

    function vote(address[] calldata yays) external returns (bytes32 slate) {
        slate = etch(yays);
        vote(slate);
    }

    function vote(bytes32 slate) public {
        require(slates[slate].length > 0 || slate == EMPTY_SLATE, "Chief/invalid-slate");
        uint256 weight = deposits[msg.sender];
        _subWeight(weight, votes[msg.sender]);
        votes[msg.sender] = slate;
        _addWeight(weight, slate);
        emit Vote(msg.sender, slate);
    }

    function lift(address whom) external {
        // Several lifts may share the block of the last one; otherwise the cooldown must have passed.
        require(block.number == last || block.number > last + liftCooldown, "Chief/cant-lift-again-yet");
        require(approvals[whom] > approvals[hat], "Chief/not-higher-current-hat");
        hat = whom;
        last = block.number;
        emit Lift(whom);
    }

    // Compatibility getters kept by the original for tools written against DSChief.

    function GOV() external view returns (address) {
        return address(gov);
    }

    function MAX_YAYS() external view returns (uint256) {
        return maxYays;
    }

    function _addWeight(uint256 weight, bytes32 slate) internal {
        address[] storage yays = slates[slate];
        for (uint256 i = 0; i < yays.length; i++) {
            approvals[yays[i]] += weight;
        }
    }

    function _subWeight(uint256 weight, bytes32 slate) internal {
        address[] storage yays = slates[slate];
        for (uint256 i = 0; i < yays.length; i++) {
            approvals[yays[i]] -= weight;
        }
    }
}
