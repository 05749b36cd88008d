// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY hostile double. Mimics the USDT (TetherToken) quirk of ERC-20 calls that return no value;
// written from that documented behaviour, not from its source. Do not deploy outside tests.
pragma solidity 0.8.28;

/// @notice ERC-20 whose transfer, transferFrom and approve return nothing, so callers that decode a
/// `bool` revert. Used to prove that rescue paths tolerate such tokens.
/// @dev Minting is open to anyone: this contract exists only for tests.
contract NoReturnToken {
    function name() external pure returns (string memory) {
        return "No Return Token";
    }
    function symbol() external pure returns (string memory) {
        return "NORET";
    }
    function decimals() external pure returns (uint8) {
        return 6;
    }
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error NoReturnTokenInsufficientBalance(address from, uint256 balance, uint256 needed);
    error NoReturnTokenInsufficientAllowance(address from, address spender, uint256 allowed, uint256 needed);

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount)
                revert NoReturnTokenInsufficientAllowance(from, msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert NoReturnTokenInsufficientBalance(from, balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
