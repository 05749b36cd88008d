// The clone's hand-written code, checked opcode by opcode against the listing in ProxyArgs.sol: a
// disassembly of what the factory really deploys (and of its creation code) must be exactly the
// listing, every jump must land on a JUMPDEST, and the data after the last JUMP must never run.
import { expect } from "chai";
import { network } from "hardhat";
import { proxyCreationCode, PROXY_RUNTIME_LENGTH } from "../../services/api/src/governance/create2.js";
import { deployWorld } from "../helpers/governance.js";

const { ethers } = await network.create();

const MNEMONICS: Record<number, string> = {
  0x02: "MUL",
  0x14: "EQ",
  0x15: "ISZERO",
  0x16: "AND",
  0x17: "OR",
  0x18: "XOR",
  0x19: "NOT",
  0x1b: "SHL",
  0x20: "KECCAK256",
  0x33: "CALLER",
  0x34: "CALLVALUE",
  0x36: "CALLDATASIZE",
  0x37: "CALLDATACOPY",
  0x39: "CODECOPY",
  0x3d: "RETURNDATASIZE",
  0x3e: "RETURNDATACOPY",
  0x51: "MLOAD",
  0x52: "MSTORE",
  0x54: "SLOAD",
  0x56: "JUMP",
  0x57: "JUMPI",
  0x5a: "GAS",
  0x5b: "JUMPDEST",
  0x5f: "PUSH0",
  0x80: "DUP1",
  0x82: "DUP3",
  0x85: "DUP6",
  0x90: "SWAP1",
  0x91: "SWAP2",
  0xa2: "LOG2",
  0xf1: "CALL",
  0xf3: "RETURN",
  0xf4: "DELEGATECALL",
  0xfa: "STATICCALL",
  0xfd: "REVERT",
};

interface Instruction {
  offset: number;
  op: string;
  /** The PUSH immediate, as hex without 0x. */
  arg?: string;
}

/** Disassembles `code` up to `end` bytes; an opcode outside the table above fails the test. */
function disassemble(code: string, end: number): Instruction[] {
  const bytes = ethers.getBytes(code);
  const out: Instruction[] = [];
  for (let i = 0; i < end; ) {
    const byte = bytes[i]!;
    if (byte >= 0x60 && byte <= 0x7f) {
      const size = byte - 0x5f;
      out.push({
        offset: i,
        op: `PUSH${size}`,
        arg: ethers.hexlify(bytes.slice(i + 1, i + 1 + size)).slice(2),
      });
      i += 1 + size;
    } else {
      const op = MNEMONICS[byte];
      if (op === undefined)
        throw new Error(`unexpected opcode 0x${byte.toString(16)} at 0x${i.toString(16)}`);
      out.push({ offset: i, op });
      i += 1;
    }
  }
  return out;
}

const listing = (instructions: Instruction[]): string[] =>
  instructions.map(
    (ins) => `${ins.offset.toString(16).padStart(2, "0")} ${ins.op}${ins.arg ? ` ${ins.arg}` : ""}`,
  );

/** ProxyArgs.sol's runtime listing, with the five arguments named. */
function expectedRuntime(impl: string, hot: string, chief: string): string[] {
  const a = (x: string) => x.slice(2).toLowerCase();
  return [
    "00 CALLDATASIZE",
    "01 PUSH0",
    "02 PUSH1 1c",
    "04 CALLDATACOPY",
    "05 PUSH0",
    "06 PUSH0",
    "07 MLOAD",
    "08 DUP1",
    "09 PUSH4 ed081329",
    "0e EQ",
    "0f SWAP1",
    "10 PUSH4 a69beaba",
    "15 EQ",
    "16 OR",
    "17 PUSH1 45",
    "19 JUMPI",
    "1a JUMPDEST",
    "1b PUSH0",
    "1c PUSH0",
    "1d CALLDATASIZE",
    "1e PUSH1 1c",
    `20 PUSH20 ${a(impl)}`,
    "35 GAS",
    "36 DELEGATECALL",
    "37 JUMPDEST",
    "38 RETURNDATASIZE",
    "39 DUP3",
    "3a DUP1",
    "3b RETURNDATACOPY",
    "3c SWAP1",
    "3d RETURNDATASIZE",
    "3e SWAP2",
    "3f PUSH1 43",
    "41 JUMPI",
    "42 REVERT",
    "43 JUMPDEST",
    "44 RETURN",
    "45 JUMPDEST",
    "46 PUSH0",
    "47 SLOAD",
    "48 DUP1",
    "49 ISZERO",
    `4a PUSH20 ${a(hot)}`,
    "5f MUL",
    "60 OR",
    "61 CALLER",
    "62 XOR",
    "63 CALLVALUE",
    "64 OR",
    "65 PUSH1 1a",
    "67 JUMPI",
    "68 PUSH1 20",
    "6a DUP1",
    "6b CALLDATASIZE",
    "6c PUSH1 1c",
    "6e PUSH0",
    `6f PUSH20 ${a(chief)}`,
    "84 GAS",
    "85 CALL",
    "86 PUSH1 20",
    "88 MLOAD",
    `89 PUSH14 ${ethers.hexlify(ethers.toUtf8Bytes("Voted(bytes32)")).slice(2)}`,
    "98 PUSH0",
    "99 MSTORE",
    "9a PUSH1 0e",
    "9c PUSH1 12",
    "9e KECCAK256",
    "9f PUSH0",
    "a0 PUSH0",
    "a1 LOG2",
    "a2 PUSH1 37",
    "a4 JUMP",
  ];
}

const EXPECTED_CONSTRUCTOR = [
  "00 PUSH4 ffd864d3",
  "05 PUSH0",
  "06 MSTORE",
  "07 PUSH1 20",
  "09 PUSH0",
  "0a PUSH1 04",
  "0c PUSH1 1c",
  "0e CALLER",
  "0f GAS",
  "10 STATICCALL",
  "11 PUSH4 a2fca6b3",
  "16 PUSH1 20",
  "18 MSTORE",
  "19 PUSH1 20",
  "1b PUSH1 20",
  "1d PUSH1 04",
  "1f PUSH1 3c",
  "21 CALLER",
  "22 GAS",
  "23 STATICCALL",
  "24 AND",
  "25 RETURNDATASIZE",
  "26 PUSH1 20",
  "28 EQ",
  "29 AND",
  "2a ISZERO",
  "2b PUSH1 6c",
  "2d JUMPI",
  "2e PUSH1 d9",
  "30 PUSH1 76",
  "32 PUSH1 40",
  "34 CODECOPY",
  "35 PUSH0",
  "36 MLOAD",
  "37 PUSH1 60",
  "39 SHL",
  "3a PUSH1 b0",
  "3c MLOAD",
  "3d OR",
  "3e PUSH1 b0",
  "40 MSTORE",
  "41 PUSH1 20",
  "43 MLOAD",
  "44 DUP1",
  "45 ISZERO",
  "46 PUSH1 70",
  "48 JUMPI",
  "49 PUSH4 095ea7b3",
  "4e PUSH2 0120",
  "51 MSTORE",
  "52 PUSH0",
  "53 MLOAD",
  "54 PUSH2 0140",
  "57 MSTORE",
  "58 PUSH0",
  "59 NOT",
  "5a PUSH2 0160",
  "5d MSTORE",
  "5e PUSH0",
  "5f PUSH0",
  "60 PUSH1 44",
  "62 PUSH2 013c",
  "65 PUSH0",
  "66 DUP6",
  "67 GAS",
  "68 CALL",
  "69 PUSH1 70",
  "6b JUMPI",
  "6c JUMPDEST",
  "6d PUSH0",
  "6e PUSH0",
  "6f REVERT",
  "70 JUMPDEST",
  "71 PUSH1 d9",
  "73 PUSH1 40",
  "75 RETURN",
];

/** Every PUSH1 that feeds a JUMP/JUMPI must name a JUMPDEST. */
function expectJumpsLand(instructions: Instruction[], code: string): void {
  const bytes = ethers.getBytes(code);
  instructions.forEach((ins, i) => {
    if (ins.op !== "JUMP" && ins.op !== "JUMPI") return;
    const target = Number.parseInt(instructions[i - 1]!.arg!, 16);
    expect(bytes[target], `jump at 0x${ins.offset.toString(16)}`).to.equal(0x5b);
  });
}

const CODE_END = 0xa5;

describe("the clone's hand-written code", function () {
  for (const family of ["DSChief", "SkyChief"] as const) {
    it(`deploys exactly ProxyArgs' runtime listing on ${family}, then cold and customerId as data`, async function () {
      const world = await deployWorld(ethers, family);
      const code = await ethers.provider.getCode(world.proxy);
      expect(ethers.dataLength(code)).to.equal(PROXY_RUNTIME_LENGTH);
      const instructions = disassemble(code, CODE_END);
      expect(listing(instructions)).to.deep.equal(
        expectedRuntime(
          await world.factory.implementation(),
          world.actors.hot.address,
          await world.chief.getAddress(),
        ),
      );
      expectJumpsLand(instructions, code);
      // The last instruction before the data is an unconditional JUMP: the data never runs.
      expect(instructions.at(-1)!.op).to.equal("JUMP");
      expect(ethers.dataSlice(code, CODE_END, CODE_END + 20)).to.equal(
        world.actors.cold.address.toLowerCase(),
      );
      expect(ethers.dataSlice(code, CODE_END + 20)).to.equal(world.customerId);
      // The topic the code hashes is the one the implementation's Voted event uses.
      expect(ethers.id("Voted(bytes32)")).to.equal(
        world.implementation.interface.getEvent("Voted")!.topicHash,
      );
    });
  }

  it("has a constructor that is exactly ProxyArgs' listing, followed by the runtime with a zero chief", async function () {
    const world = await deployWorld(ethers, "DSChief");
    const init = proxyCreationCode(
      await world.factory.implementation(),
      world.actors.cold.address,
      world.actors.hot.address,
      world.customerId,
    );
    const ctor = disassemble(init, 0x76);
    expect(listing(ctor)).to.deep.equal(EXPECTED_CONSTRUCTOR);
    expectJumpsLand(ctor, init);
    const runtime = ethers.dataSlice(init, 0x76);
    expect(ethers.dataLength(runtime)).to.equal(PROXY_RUNTIME_LENGTH);
    expect(listing(disassemble(runtime, CODE_END))).to.deep.equal(
      expectedRuntime(await world.factory.implementation(), world.actors.hot.address, ethers.ZeroAddress),
    );
    // The factory's own creation code is the same bytes: its CREATE2 address is their hash.
    expect(await world.factory.predictProxy(world.customerId, world.actors.cold, world.actors.hot)).to.equal(
      ethers.getCreate2Address(await world.factory.getAddress(), world.customerId, ethers.keccak256(init)),
    );
  });

  it("creates nothing when deployed by an account that is not a factory (no chief to read)", async function () {
    const world = await deployWorld(ethers, "SkyChief");
    const init = proxyCreationCode(
      await world.factory.implementation(),
      world.actors.cold.address,
      world.actors.hot.address,
      world.customerId,
    );
    // A plain contract-creation transaction: CALLER is an EOA, whose chief() and iou() answer nothing.
    await expect(
      world.actors.stranger.sendTransaction({ data: init, gasLimit: 1_000_000n }),
    ).to.be.revertedWithoutReason(ethers);
  });

  it("fails the creation when the IOU refuses the approval", async function () {
    // DSChief's IOU, stopped by its owner, refuses approve: the constructor reverts and so does the
    // origination, instead of leaving a proxy that could never free.
    const world = await deployWorld(ethers, "DSChief");
    const iouOwner = await ethers.getImpersonatedSigner(await world.dsChief!.getAddress());
    await ethers.provider.send("hardhat_setBalance", [iouOwner.address, "0xde0b6b3a7640000"]);
    await world.iou!.connect(iouOwner).stop();
    const id = ethers.id("stopped iou");
    await expect(
      world.factory.createProxy(id, world.actors.cold, world.actors.hot, { gasLimit: 1_000_000n }),
    ).to.be.revertedWithCustomError(world.factory, "VoteProxyFactoryCreateFailed");
    expect(
      await world.factory.isProxy(await world.factory.predictProxy(id, world.actors.cold, world.actors.hot)),
    ).to.equal(false);
  });
});
