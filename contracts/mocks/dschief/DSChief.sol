// SPDX-License-Identifier: GPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of MakerDAO's DSChief v1.2 (dapphub/ds-chief `src/chief.sol`
// as verified on mainnet at 0x0a3f6849f78076aefaDf113F5BED87720274dDC0): GOV/IOU tokens, `last[msg.sender]`
// flash-loan guard (free only in a later block than the caller's last lock), slates as byte-ordered
// address sets, `ds-chief-invalid-slate`, `launch()` at 80,000 GOV on address(0), and the `hat` as the
// only root user of the ds-roles authority once live. Written afresh for Solidity 0.8.28. Deviations:
//  - DSThing is reduced to DSAuth + DSNote + DSMath add/sub (its `S()` helper and the rest of ds-math
//    are unused by the chief); an over-free still fails with "ds-math-sub-underflow";
//  - `address(uint160)` comparison replaces `uint(yays[i])` for the ordering check (same order).
// Reason-less `require`s are kept reason-less on purpose, as in the original.
// The original's revert behaviour is what we reproduce.
// solhint-disable gas-custom-errors
pragma solidity 0.8.28;

import {DSAuth, DSAuthority} from "./DSAuth.sol";
import {DSMath} from "./DSMath.sol";
import {DSNote} from "./DSNote.sol";
import {DSRoles} from "./DSRoles.sol";
import {DSToken} from "./DSToken.sol";

/// @notice Approval voting with GOV locked 1:1 for IOU, approvals summed per candidate over slates.
contract DSChiefApprovals is DSAuth, DSNote, DSMath {
    mapping(bytes32 => address[]) public slates;
    mapping(address => bytes32) public votes;
    mapping(address => uint256) public approvals;
    mapping(address => uint256) public deposits;
    DSToken public GOV;
    DSToken public IOU;
    address public hat;

    uint256 public MAX_YAYS;

    mapping(address => uint256) public last;

    bool public live;

    uint256 internal constant LAUNCH_THRESHOLD = 80_000 * 10 ** 18;

    // keccak256 of the empty packed address array, the one slate that may be voted without being etched.
    bytes32 internal constant EMPTY_SLATE = keccak256("");

    event Etch(bytes32 indexed slate);

    constructor(DSToken GOV_, DSToken IOU_, uint256 MAX_YAYS_) {
        GOV = GOV_;
        IOU = IOU_;
        MAX_YAYS = MAX_YAYS_;
    }

    function launch() public note {
        require(!live);
        require(hat == address(0) && approvals[address(0)] >= LAUNCH_THRESHOLD);
        live = true;
    }

    function lock(uint256 wad) public note {
        // A lock and a free by the same sender never share a block (flash-loan voting guard).
        last[msg.sender] = block.number;
        GOV.pull(msg.sender, wad);
        IOU.mint(msg.sender, wad);
        deposits[msg.sender] = add(deposits[msg.sender], wad);
        _addWeight(wad, votes[msg.sender]);
    }

    function free(uint256 wad) public note {
        require(block.number > last[msg.sender]);
        deposits[msg.sender] = sub(deposits[msg.sender], wad);
        _subWeight(wad, votes[msg.sender]);
        IOU.burn(msg.sender, wad);
        GOV.push(msg.sender, wad);
    }

    function etch(address[] memory yays) public note returns (bytes32 slate) {
        require(yays.length <= MAX_YAYS);
        _requireByteOrderedSet(yays);

        bytes32 hash = keccak256(abi.encodePacked(yays));
        slates[hash] = yays;
        emit Etch(hash);
        return hash;
    }

    function vote(address[] memory yays) public returns (bytes32) {
        bytes32 slate = etch(yays);
        vote(slate);
        return slate;
    }

    function vote(bytes32 slate) public note {
        require(slates[slate].length > 0 || slate == EMPTY_SLATE, "ds-chief-invalid-slate");
        uint256 weight = deposits[msg.sender];
        _subWeight(weight, votes[msg.sender]);
        votes[msg.sender] = slate;
        _addWeight(weight, votes[msg.sender]);
    }

    // Elect `whom` only if strictly more weight backs it than backs the current hat.
    function lift(address whom) public note {
        require(approvals[whom] > approvals[hat]);
        hat = whom;
    }

    function _addWeight(uint256 weight, bytes32 slate) internal {
        address[] storage yays = slates[slate];
        for (uint256 i = 0; i < yays.length; i++) {
            approvals[yays[i]] = add(approvals[yays[i]], weight);
        }
    }

    function _subWeight(uint256 weight, bytes32 slate) internal {
        address[] storage yays = slates[slate];
        for (uint256 i = 0; i < yays.length; i++) {
            approvals[yays[i]] = sub(approvals[yays[i]], weight);
        }
    }

    // Strictly increasing addresses give both a canonical order and no duplicates.
    function _requireByteOrderedSet(address[] memory yays) internal pure {
        if (yays.length < 2) {
            return;
        }
        for (uint256 i = 0; i < yays.length - 1; i++) {
            require(uint160(yays[i]) < uint160(yays[i + 1]));
        }
    }
}

/// @notice DSChief v1.2: the elected `hat` is the unique root user once the chief is live; the chief
/// is its own authority and has no owner, so its roles can never be reconfigured.
contract DSChief is DSRoles, DSChiefApprovals {
    constructor(DSToken GOV_, DSToken IOU_, uint256 MAX_YAYS_) DSChiefApprovals(GOV_, IOU_, MAX_YAYS_) {
        authority = DSAuthority(address(this));
        owner = address(0);
    }

    function setOwner(address) public pure override {
        revert();
    }

    function setAuthority(DSAuthority) public pure override {
        revert();
    }

    function isUserRoot(address who) public view override returns (bool) {
        return live && who == hat;
    }

    function setRootUser(address, bool) public pure override {
        revert();
    }
}
