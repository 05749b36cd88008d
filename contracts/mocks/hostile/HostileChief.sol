// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY hostile double, not modelled on any published contract. Do not deploy outside tests.
pragma solidity 0.8.28;

/// @notice A chief-shaped contract that behaves badly on demand. It answers both families' getters
/// (`GOV()`, `gov()`, `MAX_YAYS()`, and `IOU()` unless built without an IOU, in which case `IOU()`
/// reverts like Sky's Chief) and implements lock/free/etch/vote/deposits. Switches:
///  - `arm(payload)`: during the next lock, free or vote it calls back into `msg.sender` with
///    `payload` and records the outcome (never bubbled);
///  - `setKeepTokens(true)`: free books the withdrawal but keeps the tokens;
///  - `setFakeDeposits(true, x)`: `deposits(anyone)` reports `x`;
///  - `setRefuse(true)`: lock, free, etch and vote revert with `HostileChiefRefused`.
/// It never mints or burns IOU. Locking pulls GOV with `transferFrom`, as Sky's Chief does.
/// @dev Every switch is open to anyone: this contract exists only to attack code under test.
contract HostileChief {
    address private immutable _gov;
    address private immutable _iou;
    uint256 public constant MAX_YAYS = 5;

    mapping(address => uint256) private _deposits;
    mapping(address => bytes32) public votes;

    bool public keepTokens;
    bool public refuse;
    bool public fakeDepositsOn;
    uint256 public fakeDeposit;

    bytes public payload;
    bool public armed;
    uint256 public callbackCount;
    bool public lastCallbackSucceeded;
    bytes public lastCallbackReturnData;

    event CallbackMade(address indexed caller, bool success, bytes returnData);

    error HostileChiefRefused();
    error HostileChiefNoIou();
    error HostileChiefTokenCallFailed(address token, bytes returnData);

    constructor(address gov_, address iou_) {
        _gov = gov_;
        _iou = iou_;
    }

    function GOV() external view returns (address) {
        return _gov;
    }

    function gov() external view returns (address) {
        return _gov;
    }

    function IOU() external view returns (address) {
        if (_iou == address(0)) revert HostileChiefNoIou();
        return _iou;
    }

    function arm(bytes calldata payload_) external {
        payload = payload_;
        armed = true;
    }

    function disarm() external {
        armed = false;
    }

    function setKeepTokens(bool on) external {
        keepTokens = on;
    }

    function setRefuse(bool on) external {
        refuse = on;
    }

    function setFakeDeposits(bool on, uint256 amount) external {
        fakeDepositsOn = on;
        fakeDeposit = amount;
    }

    function deposits(address usr) external view returns (uint256) {
        return fakeDepositsOn ? fakeDeposit : _deposits[usr];
    }

    function lock(uint256 wad) external {
        _misbehave();
        _tokenCall(abi.encodeWithSignature("transferFrom(address,address,uint256)", msg.sender, this, wad));
        _deposits[msg.sender] += wad;
    }

    function free(uint256 wad) external {
        _misbehave();
        _deposits[msg.sender] -= wad;
        if (!keepTokens) {
            _tokenCall(abi.encodeWithSignature("transfer(address,uint256)", msg.sender, wad));
        }
    }

    function etch(address[] calldata yays) public view returns (bytes32 slate) {
        if (refuse) revert HostileChiefRefused();
        slate = keccak256(abi.encodePacked(yays));
    }

    function vote(address[] calldata yays) external returns (bytes32 slate) {
        slate = etch(yays);
        vote(slate);
    }

    function vote(bytes32 slate) public {
        _misbehave();
        votes[msg.sender] = slate;
    }

    function _misbehave() private {
        if (refuse) revert HostileChiefRefused();
        if (!armed) return;
        armed = false;
        // Calling back into the caller is the attack.
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory returnData) = msg.sender.call(payload);
        callbackCount += 1;
        lastCallbackSucceeded = success;
        lastCallbackReturnData = returnData;
        emit CallbackMade(msg.sender, success, returnData);
    }

    // Accepts tokens that return true or nothing, like the real chiefs' callers must.
    function _tokenCall(bytes memory data) private {
        // Tolerate both bool and no-return tokens.
        // solhint-disable-next-line avoid-low-level-calls
        (bool success, bytes memory returnData) = _gov.call(data);
        if (!success || (returnData.length != 0 && !abi.decode(returnData, (bool)))) {
            revert HostileChiefTokenCallFailed(_gov, returnData);
        }
    }
}
