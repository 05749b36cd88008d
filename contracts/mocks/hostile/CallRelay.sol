// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY helper for the hostile doubles. Do not deploy outside tests.
pragma solidity 0.8.28;

/// @notice A contract account that forwards calls and refuses re-entry: `ping()` reverts with
/// `CallRelayReentered` while a `relay` is in flight. Lets tests watch a hostile callee's callback
/// hit a guarded contract caller.
/// @dev Anyone may relay anything: this contract exists only for tests.
contract CallRelay {
    uint256 public pings;
    bool private _busy;

    error CallRelayReentered();

    function relay(address target, bytes calldata data) external payable returns (bytes memory) {
        _busy = true;
        // Forwarding arbitrary calls is the purpose.
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory returnData) = target.call{value: msg.value}(data);
        _busy = false;
        if (!success) {
            // Bubble the callee's revert data unchanged so tests can match its custom errors.
            assembly {
                revert(add(returnData, 0x20), mload(returnData))
            }
        }
        return returnData;
    }

    function ping() external {
        if (_busy) revert CallRelayReentered();
        pings += 1;
    }
}
