// SPDX-License-Identifier: AGPL-3.0-or-later
// TEST-ONLY. Follows the published behaviour of Sky's SKY token (makerdao/sky `src/Sky.sol`, the
// dbrock/rain/mrchico ERC-20 lineage also used by LockstakeSky): wards with rely/deny, 18 decimals,
// "Sky/invalid-address" for transfers or mints to address(0) or the token itself,
// "Sky/insufficient-balance", "Sky/insufficient-allowance", max allowance never decremented, ward-only
// mint emitting Transfer(0, to), burn by anyone of their own balance or of an allowance.
// Written afresh for Solidity 0.8.28. Deviations: no EIP-2612 permit, no EIP-1271, no
// DOMAIN_SEPARATOR/nonces/version (not needed by the chief or the vote proxy).
// SKY's revert strings are part of the reference behaviour.
// solhint-disable gas-custom-errors
pragma solidity 0.8.28;

/// @notice Plain SKY-like ERC-20 used as the governance token of the local Sky Chief.
contract SkyToken {
    mapping(address => uint256) public wards;

    function name() external pure returns (string memory) {
        return "SKY";
    }
    function symbol() external pure returns (string memory) {
        return "SKY";
    }
    function decimals() external pure returns (uint8) {
        return 18;
    }
    uint256 public totalSupply;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Rely(address indexed usr);
    event Deny(address indexed usr);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event Transfer(address indexed from, address indexed to, uint256 value);

    modifier auth() {
        require(wards[msg.sender] == 1, "Sky/not-authorized");
        _;
    }

    constructor() {
        wards[msg.sender] = 1;
        emit Rely(msg.sender);
    }

    function rely(address usr) external auth {
        wards[usr] = 1;
        emit Rely(usr);
    }

    function deny(address usr) external auth {
        wards[usr] = 0;
        emit Deny(usr);
    }

    // Checks run in SKY's order: destination, then balance, then allowance.
    function transfer(address to, uint256 value) external returns (bool) {
        _checkMove(msg.sender, to, value);
        _move(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        _checkMove(from, to, value);
        _spendAllowance(from, value);
        _move(from, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function mint(address to, uint256 value) external auth {
        require(to != address(0) && to != address(this), "Sky/invalid-address");
        totalSupply += value;
        // Cannot overflow: every balance is bounded by the checked totalSupply.
        unchecked {
            balanceOf[to] += value;
        }
        emit Transfer(address(0), to, value);
    }

    function burn(address from, uint256 value) external {
        uint256 balance = balanceOf[from];
        require(balance >= value, "Sky/insufficient-balance");
        _spendAllowance(from, value);
        unchecked {
            balanceOf[from] = balance - value;
            totalSupply -= value;
        }
        emit Transfer(from, address(0), value);
    }

    function _checkMove(address from, address to, uint256 value) private view {
        require(to != address(0) && to != address(this), "Sky/invalid-address");
        require(balanceOf[from] >= value, "Sky/insufficient-balance");
    }

    // Callers have checked the balance; the sum of balances is the checked totalSupply, so no overflow.
    function _move(address from, address to, uint256 value) private {
        unchecked {
            balanceOf[from] -= value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }

    // Spending someone else's tokens needs their allowance, never decremented when it is the maximum.
    function _spendAllowance(address from, uint256 value) private {
        if (from == msg.sender) {
            return;
        }
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= value, "Sky/insufficient-allowance");
            unchecked {
                allowance[from][msg.sender] = allowed - value;
            }
        }
    }
}
