// SPDX-License-Identifier: GPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of dapphub/ds-token `token.sol` (the 0.5-era version with
// revert reasons, as flattened into MakerDAO's verified DSChief v1.2 source; MKR itself runs an older
// DSToken with the same transfer, allowance, mint and burn rules). Written afresh for Solidity 0.8.28.
// Deviations from the original:
//  - `symbol` and `name` are `string` (ds-token uses bytes32) so tests can pass "MKR"/"IOU" directly;
//  - `decimals` stays a uint256 as in ds-token (not the ERC-20 uint8).
// Kept: `approve(guy)` = max, max allowance never decremented, `src == msg.sender` needs no allowance,
// push/pull/move, auth-only mint/burn, burn-from-other needs allowance unless max, stop/start, events
// Approval/Transfer/Mint/Burn/Stop/Start (mint and burn emit Mint/Burn, not Transfer, as ds-token does).
// Revert strings are part of the reference behaviour we reproduce.
// solhint-disable gas-custom-errors
pragma solidity 0.8.28;

import {DSAuth} from "./DSAuth.sol";
import {DSMath} from "./DSMath.sol";

/// @notice ds-token: an auth-mintable, stoppable ERC-20 with MakerDAO's push/pull/move helpers.
contract DSToken is DSMath, DSAuth {
    bool public stopped;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    string public symbol;
    uint256 public decimals = 18;
    string public name = "";

    event Approval(address indexed src, address indexed guy, uint256 wad);
    event Transfer(address indexed src, address indexed dst, uint256 wad);
    event Mint(address indexed guy, uint256 wad);
    event Burn(address indexed guy, uint256 wad);
    event Stop();
    event Start();

    constructor(string memory symbol_) {
        symbol = symbol_;
    }

    modifier stoppable() {
        require(!stopped, "ds-stop-is-stopped");
        _;
    }

    function approve(address guy) external returns (bool) {
        return approve(guy, type(uint256).max);
    }

    function approve(address guy, uint256 wad) public stoppable returns (bool) {
        allowance[msg.sender][guy] = wad;
        emit Approval(msg.sender, guy, wad);
        return true;
    }

    function transfer(address dst, uint256 wad) external returns (bool) {
        return transferFrom(msg.sender, dst, wad);
    }

    function transferFrom(address src, address dst, uint256 wad) public stoppable returns (bool) {
        _spendAllowance(src, wad);
        require(balanceOf[src] >= wad, "ds-token-insufficient-balance");
        balanceOf[src] = sub(balanceOf[src], wad);
        balanceOf[dst] = add(balanceOf[dst], wad);
        emit Transfer(src, dst, wad);
        return true;
    }

    function push(address dst, uint256 wad) external {
        transferFrom(msg.sender, dst, wad);
    }

    function pull(address src, uint256 wad) external {
        transferFrom(src, msg.sender, wad);
    }

    function move(address src, address dst, uint256 wad) external {
        transferFrom(src, dst, wad);
    }

    function mint(uint256 wad) external {
        mint(msg.sender, wad);
    }

    function burn(uint256 wad) external {
        burn(msg.sender, wad);
    }

    function mint(address guy, uint256 wad) public auth stoppable {
        balanceOf[guy] = add(balanceOf[guy], wad);
        totalSupply = add(totalSupply, wad);
        emit Mint(guy, wad);
    }

    function burn(address guy, uint256 wad) public auth stoppable {
        _spendAllowance(guy, wad);
        require(balanceOf[guy] >= wad, "ds-token-insufficient-balance");
        balanceOf[guy] = sub(balanceOf[guy], wad);
        totalSupply = sub(totalSupply, wad);
        emit Burn(guy, wad);
    }

    function stop() public auth {
        stopped = true;
        emit Stop();
    }

    function start() public auth {
        stopped = false;
        emit Start();
    }

    function setName(string calldata name_) external auth {
        name = name_;
    }

    // Moving someone else's tokens needs their allowance, which is never spent when it is the maximum.
    function _spendAllowance(address src, uint256 wad) private {
        if (src != msg.sender && allowance[src][msg.sender] != type(uint256).max) {
            require(allowance[src][msg.sender] >= wad, "ds-token-insufficient-approval");
            allowance[src][msg.sender] = sub(allowance[src][msg.sender], wad);
        }
    }
}
