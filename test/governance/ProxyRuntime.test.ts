// The clone's hand-written code, checked opcode by opcode against the listing in ProxyArgs.sol: a
// disassembly of what the factory really deploys (and of its creation code) must be exactly the
// listing, every jump must land on a JUMPDEST, and the data after the last JUMP must never run.
import { expect } from "chai";
import { network } from "hardhat";
import { proxyCreationCode, PROXY_RUNTIME_LENGTH } from "../../services/api/src/governance/create2.js";
import { deployWorld } from "../helpers/governance.js";
import { customerIdFromLabel } from "../../deploy/lib/customer-id.js";

const { ethers } = await network.create();

const MNEMONICS: Record<number, string> = {
  0x02: "MUL",
  0x14: "EQ",
  0x15: "ISZERO",
  0x16: "AND",
  0x17: "OR",
  0x18: "XOR",
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
  0xa1: "LOG1",
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
    "05 PUSH1 20",
    "07 DUP1",
    "08 CALLDATASIZE",
    "09 PUSH1 1c",
    "0b PUSH0",
    "0c MLOAD",
    "0d DUP1",
    "0e PUSH4 ed081329",
    "13 XOR",
    "14 SWAP1",
    "15 PUSH4 a69beaba",
    "1a XOR",
    "1b MUL",
    "1c PUSH0",
    "1d SLOAD",
    `1e PUSH20 ${a(hot)}`,
    "33 XOR",
    "34 CALLER",
    "35 XOR",
    "36 OR",
    "37 PUSH1 66",
    "39 JUMPI",
    "3a CALLVALUE",
    `3b PUSH20 ${a(chief)}`,
    "50 GAS",
    "51 CALL",
    "52 PUSH1 20",
    "54 MLOAD",
    "55 PUSH0",
    "56 PUSH0",
    "57 LOG1",
    "58 JUMPDEST",
    "59 RETURNDATASIZE",
    "5a PUSH0",
    "5b DUP1",
    "5c RETURNDATACOPY",
    "5d RETURNDATASIZE",
    "5e PUSH0",
    "5f DUP3",
    "60 PUSH1 64",
    "62 JUMPI",
    "63 REVERT",
    "64 JUMPDEST",
    "65 RETURN",
    "66 JUMPDEST",
    `67 PUSH20 ${a(impl)}`,
    "7c GAS",
    "7d DELEGATECALL",
    "7e PUSH1 58",
    "80 JUMP",
  ];
}

const EXPECTED_CONSTRUCTOR = [
  "00 PUSH1 40",
  "02 PUSH0",
  "03 PUSH0",
  "04 PUSH0",
  "05 CALLER",
  "06 GAS",
  "07 STATICCALL",
  "08 RETURNDATASIZE",
  "09 PUSH1 40",
  "0b EQ",
  "0c AND",
  "0d ISZERO",
  "0e PUSH1 33",
  "10 JUMPI",
  "11 PUSH1 20",
  "13 MLOAD",
  "14 DUP1",
  "15 ISZERO",
  "16 PUSH1 37",
  "18 JUMPI",
  "19 PUSH4 daea85c5",
  "1e PUSH1 40",
  "20 MSTORE",
  "21 PUSH0",
  "22 MLOAD",
  "23 PUSH1 60",
  "25 MSTORE",
  "26 PUSH0",
  "27 PUSH0",
  "28 PUSH1 24",
  "2a PUSH1 5c",
  "2c PUSH0",
  "2d DUP6",
  "2e GAS",
  "2f CALL",
  "30 PUSH1 37",
  "32 JUMPI",
  "33 JUMPDEST",
  "34 PUSH0",
  "35 PUSH0",
  "36 REVERT",
  "37 JUMPDEST",
  "38 PUSH0",
  "39 MLOAD",
  "3a PUSH1 70",
  "3c MSTORE",
  "3d PUSH1 3c",
  "3f PUSH1 50",
  "41 PUSH1 40",
  "43 CODECOPY",
  "44 PUSH1 55",
  "46 PUSH1 a0",
  "48 PUSH1 90",
  "4a CODECOPY",
  "4b PUSH1 a5",
  "4d PUSH1 40",
  "4f RETURN",
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

const CODE_END = 0x81;

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
      // The customerId's low 16 bytes: the factory takes it left-padded to a word (decision 0010).
      expect(ethers.dataSlice(code, CODE_END + 20)).to.equal(ethers.dataSlice(world.customerId, 16));
      expect(ethers.dataSlice(world.customerId, 0, 16)).to.equal(ethers.toBeHex(0, 16));
      // The code logs Voted with LOG1 and no topic0: the implementation's event must be anonymous.
      expect(world.implementation.interface.getEvent("Voted")!.anonymous).to.equal(true);
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
    const ctor = disassemble(init, 0x50);
    expect(listing(ctor)).to.deep.equal(EXPECTED_CONSTRUCTOR);
    expectJumpsLand(ctor, init);
    const runtime = ethers.dataSlice(init, 0x50);
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
    // A plain contract-creation transaction: CALLER is an EOA, which answers no (chief, iou) pair.
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
    const id = customerIdFromLabel("stopped iou");
    await expect(
      world.factory.createProxy(id, world.actors.cold, world.actors.hot, { gasLimit: 1_000_000n }),
    ).to.be.revertedWithCustomError(world.factory, "VoteProxyFactoryCreateFailed");
    expect(
      await world.factory.isProxy(await world.factory.predictProxy(id, world.actors.cold, world.actors.hot)),
    ).to.equal(false);
  });
});
