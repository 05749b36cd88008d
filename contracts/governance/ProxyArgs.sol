// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Layout of a vote proxy clone's code and readers for its immutable arguments
/// @notice A clone is 129 bytes of hand-written code followed by `cold` (20 bytes) and the low 16
/// bytes of the `customerId` (a UUID; decision 0010). The code forwards every call to the
/// implementation by DELEGATECALL (as an EIP-1167 clone does), except a vote sent by the current hot
/// key, which it sends straight to the chief (the vote fast path, decisions 0007 and 0010). The
/// implementation, the initial `hot` key and the chief are PUSH20 immediates of that code. The
/// creation code carries all of it except the chief, which the constructor asks the factory for (with
/// its IOU token, in one call): the CREATE2 address commits to the factory (hence to its chief and
/// implementation), cold, hot and customerId, and is computable from those alone.
/// @dev Runtime, opcode by opcode (offsets in hex; stack top first; memory holds the calldata at
/// 0x1c, so its selector is the low 4 bytes of the word at 0x00 and its first argument is at 0x20):
///
///   00 36            CALLDATASIZE
///   01 5f            PUSH0
///   02 601c          PUSH1 0x1c
///   04 37            CALLDATACOPY            mem[0x1c..] = calldata
///   05 6020          PUSH1 0x20              retSize     (both calls share these four arguments)
///   07 80            DUP1                    retOffset   (the fast path's slate lands at 0x20)
///   08 36            CALLDATASIZE            argsSize
///   09 601c          PUSH1 0x1c              argsOffset  [a]
///   0b 5f            PUSH0
///   0c 51            MLOAD                   [sel a]     zero-padded if calldata < 4 bytes
///   0d 80            DUP1
///   0e 63ed081329    PUSH4 vote(address[])
///   13 18            XOR
///   14 90            SWAP1
///   15 63a69beaba    PUSH4 vote(bytes32)
///   1a 18            XOR
///   1b 02            MUL                     [notVote a] zero exactly for the two vote selectors
///   1c 5f            PUSH0
///   1d 54            SLOAD                   slot 0 is VoteProxy._hotXor: current hot ^ initial hot
///   1e 73<hot>       PUSH20 initial hot
///   33 18            XOR                     [hot notVote a]
///   34 33            CALLER
///   35 18            XOR
///   36 17            OR                      [(caller^hot)|notVote a]
///   37 6066          PUSH1 SLOW
///   39 57            JUMPI                   [a]         not a vote by the current hot key: slow path
///   3a 34            CALLVALUE               value: any ETH goes with the call, and both chiefs' votes
///                                            are non-payable, so they refuse it and nothing changes
///   3b 73<chief>     PUSH20 chief            written by the constructor
///   50 5a            GAS
///   51 f1            CALL                    [ok]        CALL(gas, chief, value, 0x1c, cds, 0x20, 0x20)
///   52 6020          PUSH1 0x20
///   54 51            MLOAD                   [slate ok]  returned slate, or vote(bytes32)'s argument
///   55 5f            PUSH0
///   56 5f            PUSH0
///   57 a1            LOG1                    anonymous Voted(slate); discarded if the call failed
///   58 5b            JUMPDEST TAIL           [ok]
///   59 3d            RETURNDATASIZE
///   5a 5f            PUSH0
///   5b 80            DUP1
///   5c 3e            RETURNDATACOPY          mem[0..] = returndata
///   5d 3d            RETURNDATASIZE
///   5e 5f            PUSH0
///   5f 82            DUP3                    [ok 0 rds ok]
///   60 6064          PUSH1 RET
///   62 57            JUMPI
///   63 fd            REVERT                  revert(0, rds)
///   64 5b            JUMPDEST RET
///   65 f3            RETURN                  return(0, rds)
///   66 5b            JUMPDEST SLOW           [a]
///   67 73<impl>      PUSH20 implementation
///   7c 5a            GAS
///   7d f4            DELEGATECALL            [ok]        DELEGATECALL(gas, impl, 0x1c, cds, 0x20, 0x20)
///   7e 6058          PUSH1 TAIL
///   80 56            JUMP
///   81 <cold>        20 bytes of data (never executed: after a JUMP)
///   95 <customerId>  its low 16 bytes
library ProxyArgs {
    /// @dev Offsets of the arguments inside the runtime.
    uint256 internal constant HOT_OFFSET = 0x1f;
    uint256 internal constant COLD_OFFSET = 0x81;
    uint256 internal constant CUSTOMER_OFFSET = 0x95;
    /// @dev 0x95 + 16 = 0xa5 = 165 bytes.
    uint256 internal constant RUNTIME_LENGTH = CUSTOMER_OFFSET + 16;

    /// @dev Length of the creation code: the 80-byte constructor, then the runtime (0x50 + 0xa5 =
    /// 0xf5; a literal, because inline assembly takes only direct constants).
    uint256 private constant CREATION_LENGTH = 0xf5;

    /// @notice Creation code of a clone of `implementation` carrying its arguments: the 80-byte
    /// constructor below, then the runtime with a zero chief, which the constructor fills in.
    /// `customerId_` must fit in 128 bits (the factory checks); only its low 16 bytes are written.
    /// @dev Constructor, opcode by opcode (it runs with the factory as CALLER):
    ///
    ///   00 6040 5f 5f 5f 33 5a fa                STATICCALL(gas, caller, 0, 0, 0x00, 0x40): the
    ///                                            factory answers empty calldata with (chief, iou)
    ///   08 3d 6040 14 16 15 6033 57              unless it succeeded with two words: JUMP FAIL
    ///   11 6020 51 80 15 6037 57                 [iou] no IOU (Sky's Chief): JUMP DONE
    ///   19 63daea85c5 6040 52                    mem[0x5c..0x60] = DSToken's approve(address), which
    ///                                            approves 2**256 - 1
    ///   21 5f 51 6060 52                         mem[0x60..0x80] = chief
    ///   26 5f 5f 6024 605c 5f 85 5a f1           CALL(gas, iou, 0, 0x5c, 0x24, 0, 0)
    ///   30 6037 57                               approved: JUMP DONE
    ///   33 5b 5f 5f fd                           FAIL: revert(0, 0), and CREATE2 returns zero
    ///   37 5b 5f 51 6070 52                      DONE: mem[0x70..0x90] = the chief's word, so its
    ///                                            20 bytes sit at runtime offset 0x3c (0x40 + 0x3c)
    ///   3d 603c 6050 6040 39                     CODECOPY(0x40, 0x50, 0x3c): runtime up to the chief
    ///   44 6055 60a0 6090 39                     CODECOPY(0x90, 0xa0, 0x55): runtime after it
    ///   4b 60a5 6040 f3                          return(0x40, 0xa5)
    ///
    /// The approval is what `approveChiefIou()` grants (decision 0004): DSChief burns the clone's IOU
    /// on `free`. Granting it here saves a call through the clone into the implementation.
    /// The code is assembled with ten word writes in increasing order, each later write overwriting
    /// the zero tail of the one before: constructor + runtime up to the hot key (111 bytes, four
    /// words), hot, the 9 bytes before the chief (its 20 zero bytes come with them), the 24 bytes
    /// after it, implementation, the 5 bytes before cold with cold, customerId.
    function creationCode(
        address implementation,
        address cold_,
        address hot_,
        bytes32 customerId_
    ) internal pure returns (bytes memory code) {
        assembly ("memory-safe") {
            code := mload(0x40)
            let p := add(code, 0x20)
            mstore(p, 0x60405f5f5f335afa3d6040141615603357602051801560375763daea85c56040)
            mstore(add(p, 0x20), 0x525f516060525f5f6024605c5f855af16037575b5f5ffd5b5f51607052603c60)
            mstore(add(p, 0x40), 0x50604039605560a060903960a56040f3365f601c3760208036601c5f518063ed)
            mstore(add(p, 0x60), 0x081329189063a69beaba18025f54730000000000000000000000000000000000)
            mstore(add(p, 0x6f), shl(96, hot_))
            mstore(add(p, 0x83), 0x1833181760665734730000000000000000000000000000000000000000000000)
            mstore(add(p, 0xa0), 0x5af16020515f5fa15b3d5f803e3d5f82606457fd5bf35b730000000000000000)
            mstore(add(p, 0xb8), shl(96, implementation))
            mstore(
                add(p, 0xcc),
                or(0x5af4605856000000000000000000000000000000000000000000000000000000, shl(56, cold_))
            )
            mstore(add(p, 0xe5), shl(128, customerId_))
            mstore(code, CREATION_LENGTH)
            // The last write ends 0x20 past the customerId's offset: claim memory up to there.
            mstore(0x40, add(p, 0x105))
        }
    }

    /// @notice The cold address of the clone currently executing (through delegatecall).
    function cold() internal view returns (address) {
        return address(bytes20(_word(address(this), COLD_OFFSET)));
    }

    /// @notice The hot address the executing clone was created with.
    function initialHot() internal view returns (address) {
        return address(bytes20(_word(address(this), HOT_OFFSET)));
    }

    /// @notice The customer identifier the executing clone was created for (a 128-bit value,
    /// left-padded to a word as the factory takes it).
    function customerId() internal view returns (bytes32) {
        return _customerIdOf(address(this));
    }

    /// @notice Reads the arguments out of any account's code (meaningful only for a clone).
    function readFrom(
        address clone
    ) internal view returns (address cold_, address hot_, bytes32 customerId_) {
        cold_ = address(bytes20(_word(clone, COLD_OFFSET)));
        hot_ = address(bytes20(_word(clone, HOT_OFFSET)));
        customerId_ = _customerIdOf(clone);
    }

    /// @dev The 16 bytes at CUSTOMER_OFFSET, as the low half of a word.
    function _customerIdOf(address clone) private view returns (bytes32) {
        return _word(clone, CUSTOMER_OFFSET) >> 128;
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
