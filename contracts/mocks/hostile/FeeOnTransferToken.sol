// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY hostile double, written from the common fee-on-transfer token behaviour. Do not deploy
// outside tests.
pragma solidity 0.8.28;

/// @notice ERC-20 that burns `FEE_BPS` of every transfer, so the recipient receives less than the
/// amount asked for. Used to prove that code measures balances rather than trusting amounts.
/// @dev Minting is open to anyone: this contract exists only for tests.
contract FeeOnTransferToken {
    uint256 public constant FEE_BPS = 100; // 1 %
    function name() external pure returns (string memory) {
        return "Fee On Transfer Token";
    }
    function symbol() external pure returns (string memory) {
        return "FEE";
    }
    function decimals() external pure returns (uint8) {
        return 18;
    }
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error FeeOnTransferTokenInsufficientBalance(address from, uint256 balance, uint256 needed);
    error FeeOnTransferTokenInsufficientAllowance(
        address from,
        address spender,
        uint256 allowed,
        uint256 needed
    );

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) {
                revert FeeOnTransferTokenInsufficientAllowance(from, msg.sender, allowed, amount);
            }
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert FeeOnTransferTokenInsufficientBalance(from, balance, amount);
        uint256 fee = (amount * FEE_BPS) / 10_000;
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount - fee;
        totalSupply -= fee;
        emit Transfer(from, to, amount - fee);
        emit Transfer(from, address(0), fee);
    }
}
