// SPDX-License-Identifier: GPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of dapphub/ds-note `note.sol` (as flattened into the verified
// DSChief v1.2 source): an anonymous LogNote carrying selector, caller, the first two calldata words,
// msg.value and the full calldata. Written afresh for Solidity 0.8.28; no deviation in what is logged.
pragma solidity 0.8.28;

/// @notice Anonymous call log used by DSChief's `note` modifier, so gas and logs resemble the original.
contract DSNote {
    event LogNote(
        bytes4 indexed sig,
        address indexed guy,
        bytes32 indexed foo,
        bytes32 indexed bar,
        uint256 wad,
        bytes fax
    ) anonymous;

    modifier note() {
        bytes32 foo;
        bytes32 bar;
        uint256 wad;
        // The first two argument words are logged raw, whatever their ABI type.
        assembly {
            foo := calldataload(4)
            bar := calldataload(36)
            wad := callvalue()
        }
        _;
        emit LogNote(msg.sig, msg.sender, foo, bar, wad, msg.data);
    }
}
