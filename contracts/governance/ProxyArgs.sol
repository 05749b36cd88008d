// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Layout of a vote proxy clone's code and readers for its immutable arguments
/// @notice A clone is 165 bytes of hand-written code followed by `cold` (20 bytes) and the
/// `customerId` (32 bytes). The code forwards every call to the implementation by DELEGATECALL (as an
/// EIP-1167 clone does), except a vote sent by the current hot key, which it sends straight to the
/// chief (the vote fast path, decision 0007). The implementation, the initial `hot` key and the chief
/// are PUSH20 immediates of that code. The creation code carries all of it except the chief, which
/// the constructor asks the factory for: the CREATE2 address commits to the factory (hence to its
/// chief and implementation), cold, hot and customerId, and is computable from those alone.
/// @dev Runtime, opcode by opcode (offsets in hex; stack top first; memory holds the calldata at
/// 0x1c, so its selector is the low 4 bytes of the word at 0x00 and its first argument is at 0x20):
///
///   00 36            CALLDATASIZE
///   01 5f            PUSH0
///   02 601c          PUSH1 0x1c
///   04 37            CALLDATACOPY            mem[0x1c..] = calldata
///   05 5f            PUSH0                   [0]           the zero the tail expects
///   06 5f            PUSH0
///   07 51            MLOAD                   [sel 0]       zero-padded if calldata < 4 bytes
///   08 80            DUP1
///   09 63ed081329    PUSH4 vote(address[])
///   0e 14            EQ
///   0f 90            SWAP1
///   10 63a69beaba    PUSH4 vote(bytes32)
///   15 14            EQ
///   16 17            OR                      [isVote 0]
///   17 6045          PUSH1 FAST
///   19 57            JUMPI                   [0]
///   1a 5b            JUMPDEST SLOW           [0]
///   1b 5f            PUSH0                   retSize
///   1c 5f            PUSH0                   retOffset
///   1d 36            CALLDATASIZE            argsSize
///   1e 601c          PUSH1 0x1c              argsOffset
///   20 73<impl>      PUSH20 implementation
///   35 5a            GAS
///   36 f4            DELEGATECALL            [ok 0]
///   37 5b            JUMPDEST TAIL           [ok 0]        (EIP-1167's tail from here)
///   38 3d            RETURNDATASIZE
///   39 82            DUP3
///   3a 80            DUP1
///   3b 3e            RETURNDATACOPY          mem[0..] = returndata
///   3c 90            SWAP1
///   3d 3d            RETURNDATASIZE
///   3e 91            SWAP2                   [ok 0 rds]
///   3f 6043          PUSH1 0x43
///   41 57            JUMPI
///   42 fd            REVERT                  revert(0, rds)
///   43 5b            JUMPDEST
///   44 f3            RETURN                  return(0, rds)
///   45 5b            JUMPDEST FAST           [0]
///   46 5f            PUSH0
///   47 54            SLOAD                   [rotated 0]   slot 0 is VoteProxy._rotatedHot
///   48 80            DUP1
///   49 15            ISZERO
///   4a 73<hot>       PUSH20 initial hot
///   5f 02            MUL
///   60 17            OR                      [hot 0]       rotated, or the initial hot if none
///   61 33            CALLER
///   62 18            XOR
///   63 34            CALLVALUE
///   64 17            OR                      [(caller^hot)|value 0]
///   65 601a          PUSH1 SLOW
///   67 57            JUMPI                   [0]           not the hot key, or ETH sent: slow path
///   68 6020          PUSH1 0x20              retSize
///   6a 80            DUP1                    retOffset 0x20 (over the first argument)
///   6b 36            CALLDATASIZE            argsSize
///   6c 601c          PUSH1 0x1c              argsOffset
///   6e 5f            PUSH0                   value
///   6f 73<chief>     PUSH20 chief            written by the constructor
///   84 5a            GAS
///   85 f1            CALL                    [ok 0]
///   86 6020          PUSH1 0x20
///   88 51            MLOAD                   [slate ok 0]  returned slate, or vote(bytes32)'s argument
///   89 6d<14 bytes>  PUSH14 "Voted(bytes32)"
///   98 5f            PUSH0
///   99 52            MSTORE                  mem[0x12..0x20] = the signature
///   9a 600e          PUSH1 14
///   9c 6012          PUSH1 0x12
///   9e 20            KECCAK256               [Voted-topic slate ok 0]
///   9f 5f            PUSH0
///   a0 5f            PUSH0
///   a1 a2            LOG2                    Voted(slate); discarded with the frame if the call failed
///   a2 6037          PUSH1 TAIL
///   a4 56            JUMP                    [ok 0]
///   a5 <cold>        20 bytes of data (never executed: after a JUMP)
///   b9 <customerId>  32 bytes of data
library ProxyArgs {
    /// @dev Offsets of the arguments inside the runtime.
    uint256 internal constant HOT_OFFSET = 0x4b;
    uint256 internal constant COLD_OFFSET = 0xa5;
    uint256 internal constant CUSTOMER_OFFSET = 0xb9;
    /// @dev 0xb9 + 32 = 0xd9 = 217 bytes.
    uint256 internal constant RUNTIME_LENGTH = CUSTOMER_OFFSET + 32;

    /// @notice Creation code of a clone of `implementation` carrying its arguments: the 118-byte
    /// constructor below, then the runtime with a zero chief, which the constructor fills in.
    /// @dev Constructor, opcode by opcode (it runs with the factory as CALLER):
    ///
    ///   00 63ffd864d3 5f 52                      mem[0x1c..0x20] = chief()
    ///   07 6020 5f 6004 601c 33 5a fa            STATICCALL(gas, caller, 0x1c, 4, 0x00, 0x20)
    ///   11 63a2fca6b3 6020 52                    mem[0x3c..0x40] = iou()
    ///   19 6020 6020 6004 603c 33 5a fa          STATICCALL(gas, caller, 0x3c, 4, 0x20, 0x20)
    ///   24 16                                    AND: both calls succeeded
    ///   25 3d 6020 14 16                         and returned a word (a non-factory caller may not)
    ///   2a 15 606c 57                            else JUMP FAIL
    ///   2e 60d9 6076 6040 39                     CODECOPY(0x40, 0x76, 0xd9): the runtime
    ///   35 5f 51 6060 1b 60b0 51 17 60b0 52      runtime[0x70..0x84] |= chief (zero in the template)
    ///   41 6020 51 80 15 6070 57                 [iou] no IOU (Sky's Chief): JUMP DONE
    ///   49 63095ea7b3 610120 52                  mem[0x13c..0x140] = approve(address,uint256)
    ///   52 5f 51 610140 52                       mem[0x140..0x160] = chief
    ///   58 5f 19 610160 52                       mem[0x160..0x180] = 2**256 - 1
    ///   5e 5f 5f 6044 61013c 5f 85 5a f1         CALL(gas, iou, 0, 0x13c, 0x44, 0, 0)
    ///   69 6070 57                               approved: JUMP DONE
    ///   6c 5b 5f 5f fd                           FAIL: revert(0, 0), and CREATE2 returns zero
    ///   70 5b 60d9 6040 f3                       DONE: return(0x40, 0xd9)
    ///
    /// The approval is what `approveChiefIou()` grants (decision 0004): DSChief burns the clone's IOU
    /// on `free`. Granting it here saves a call through the clone into the implementation.
    function creationCode(
        address implementation,
        address cold_,
        address hot_,
        bytes32 customerId_
    ) internal pure returns (bytes memory) {
        return
            abi.encodePacked(
                hex"63ffd864d35f5260205f6004601c335afa63a2fca6b3602052602060206004603c335afa163d6020",
                hex"141615606c5760d960766040395f5160601b60b0511760b052602051801560705763095ea7b36101",
                hex"20525f51610140525f19610160525f5f604461013c5f855af16070575b5f5ffd5b60d96040f3",
                // The runtime, with the chief's 20 bytes zero.
                hex"365f601c375f5f518063ed081329149063a69beaba14176045575b5f5f36601c73",
                implementation,
                hex"5af45b3d82803e903d91604357fd5bf35b5f54801573",
                hot_,
                hex"021733183417601a5760208036601c5f730000000000000000000000000000000000000000",
                hex"5af16020516d566f7465642862797465733332295f52600e6012205f5fa2603756",
                cold_,
                customerId_
            );
    }

    /// @notice The cold address of the clone currently executing (through delegatecall).
    function cold() internal view returns (address) {
        return address(bytes20(_word(address(this), COLD_OFFSET)));
    }

    /// @notice The hot address the executing clone was created with.
    function initialHot() internal view returns (address) {
        return address(bytes20(_word(address(this), HOT_OFFSET)));
    }

    /// @notice The customer identifier the executing clone was created for.
    function customerId() internal view returns (bytes32) {
        return _word(address(this), CUSTOMER_OFFSET);
    }

    /// @notice Reads the arguments out of any account's code (meaningful only for a clone).
    function readFrom(
        address clone
    ) internal view returns (address cold_, address hot_, bytes32 customerId_) {
        cold_ = address(bytes20(_word(clone, COLD_OFFSET)));
        hot_ = address(bytes20(_word(clone, HOT_OFFSET)));
        customerId_ = _word(clone, CUSTOMER_OFFSET);
    }

    /// @dev 32 bytes of `account`'s code from `offset` (zero-padded past the end). Under delegatecall,
    /// address(this) is the clone, whose code holds the arguments.
    function _word(address account, uint256 offset) private view returns (bytes32 value) {
        assembly ("memory-safe") {
            extcodecopy(account, 0x00, offset, 0x20)
            value := mload(0x00)
        }
    }
}
