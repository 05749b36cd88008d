// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY hostile double, not modelled on any published contract. Do not deploy outside tests.
pragma solidity 0.8.28;

/// @notice An 18-decimal ERC-20 (with ds-token's push/pull/move so it can also stand in for a DSChief
/// GOV) whose next transfer can be armed to call `target` with arbitrary calldata *before* balances
/// move. The callback's outcome is recorded, never bubbled, so a test can assert that the victim
/// refused it while the transfer itself still went through.
/// @dev Minting and arming are open to anyone: this contract exists only to attack code under test.
contract ReentrantToken {
    function name() external pure returns (string memory) {
        return "Reentrant Token";
    }
    function symbol() external pure returns (string memory) {
        return "REENT";
    }
    function decimals() external pure returns (uint8) {
        return 18;
    }
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    address public callbackTarget;
    bytes public payload;
    bool public armed;
    uint256 public callbackCount;
    bool public lastCallbackSucceeded;
    bytes public lastCallbackReturnData;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event CallbackMade(address indexed target, bool success, bytes returnData);

    error ReentrantTokenInsufficientBalance(address from, uint256 balance, uint256 needed);
    error ReentrantTokenInsufficientAllowance(address from, address spender, uint256 allowed, uint256 needed);

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Arms a one-shot callback: the next transfer calls `target_` with `payload_` first.
    function arm(address target_, bytes calldata payload_) external {
        callbackTarget = target_;
        payload = payload_;
        armed = true;
    }

    function disarm() external {
        armed = false;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _transferFrom(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _transferFrom(from, to, amount);
        return true;
    }

    function push(address to, uint256 amount) external {
        _transferFrom(msg.sender, to, amount);
    }

    function pull(address from, uint256 amount) external {
        _transferFrom(from, msg.sender, amount);
    }

    function move(address from, address to, uint256 amount) external {
        _transferFrom(from, to, amount);
    }

    function _transferFrom(address from, address to, uint256 amount) private {
        _fireCallback();
        if (from != msg.sender) {
            uint256 allowed = allowance[from][msg.sender];
            if (allowed != type(uint256).max) {
                if (allowed < amount) {
                    revert ReentrantTokenInsufficientAllowance(from, msg.sender, allowed, amount);
                }
                allowance[from][msg.sender] = allowed - amount;
            }
        }
        uint256 balance = balanceOf[from];
        if (balance < amount) revert ReentrantTokenInsufficientBalance(from, balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }

    // The callback runs before any state change: the worst moment for a victim that is not guarded.
    function _fireCallback() private {
        if (!armed) return;
        armed = false;
        // The arbitrary re-entrant call is the point.
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory returnData) = callbackTarget.call(payload);
        callbackCount += 1;
        lastCallbackSucceeded = success;
        lastCallbackReturnData = returnData;
        emit CallbackMade(callbackTarget, success, returnData);
    }
}
