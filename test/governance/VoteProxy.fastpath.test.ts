// The clone's vote fast path (decision 0007): a vote sent by the current hot key goes from the clone
// straight to the chief; every other call, including a vote by cold, by a stranger, by a rotated-away
// hot key, with ETH, or with calldata too short to hold a selector, is delegated to the implementation
// exactly as before. Each branch of the hand-written code is driven here and, through a trace of the
// call, checked to have taken the path it should.
import { expect } from "chai";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  FAMILIES,
  FUNDED,
  WAD,
  actorsOf,
  deployWorld,
  type Family,
  type World,
  expectVoted,
} from "../helpers/governance.js";
import { customerIdFromLabel } from "../../deploy/lib/customer-id.js";

const { ethers, networkHelpers } = await network.create();

const fixtures: Record<Family, () => Promise<World>> = {
  DSChief: async () => deployWorld(ethers, "DSChief"),
  SkyChief: async () => deployWorld(ethers, "SkyChief"),
};

interface StructLog {
  op: string;
  depth: number;
}

/** Whether a call from `from` with `data` (and `value`) reaches the implementation (the slow path). */
async function delegates(from: HardhatEthersSigner, to: string, data: string, value = 0n): Promise<boolean> {
  const trace = (await ethers.provider.send("debug_traceCall", [
    { from: from.address, to, data, value: ethers.toQuantity(value), gas: ethers.toQuantity(1_000_000n) },
    "latest",
    { disableStorage: true, disableMemory: true, disableStack: true },
  ])) as { structLogs: StructLog[] };
  return trace.structLogs.some((log) => log.op === "DELEGATECALL" && log.depth === 1);
}

/** The raw bytes an eth_call of `data` from `from` returns. */
async function rawCall(from: HardhatEthersSigner, to: string, data: string): Promise<string> {
  return ethers.provider.call({ from: from.address, to, data });
}

const candidates = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => ethers.getAddress(ethers.toBeHex(0x1000 + i, 20)));
const slateOf = (yays: string[]): string => ethers.keccak256(ethers.solidityPacked(["address[]"], [yays]));

for (const family of FAMILIES) {
  describe(`VoteProxy fast path on ${family}`, function () {
    const load = async () => {
      const world = await networkHelpers.loadFixture(fixtures[family]);
      await world.proxy.connect(world.actors.hot).lock(FUNDED);
      return world;
    };

    it("sends the hot key's vote(address[]) straight to the chief, with the event and return of the slow path", async function () {
      const { proxy, chief, actors } = await load();
      const yays = candidates(3);
      const data = proxy.interface.encodeFunctionData("vote(address[])", [yays]);
      const to = await proxy.getAddress();
      expect(await delegates(actors.hot, to, data)).to.equal(false);
      expect(await delegates(actors.cold, to, data)).to.equal(true);
      // Same return bytes on both paths: the 32-byte slate id.
      const fast = await rawCall(actors.hot, to, data);
      expect(fast).to.equal(await rawCall(actors.cold, to, data));
      expect(fast).to.equal(slateOf(yays));
      await expectVoted(proxy.connect(actors.hot)["vote(address[])"](yays), proxy, slateOf(yays));
      expect(await chief.votes(proxy)).to.equal(slateOf(yays));
    });

    it("sends the hot key's vote(bytes32) straight to the chief, returning nothing as the slow path does", async function () {
      const { proxy, chief, actors } = await load();
      const yays = candidates(2);
      await proxy.connect(actors.cold)["vote(address[])"](yays);
      await proxy.connect(actors.cold)["vote(address[])"](candidates(1));
      const data = proxy.interface.encodeFunctionData("vote(bytes32)", [slateOf(yays)]);
      const to = await proxy.getAddress();
      expect(await delegates(actors.hot, to, data)).to.equal(false);
      expect(await rawCall(actors.hot, to, data)).to.equal("0x");
      expect(await rawCall(actors.cold, to, data)).to.equal("0x");
      await expectVoted(proxy.connect(actors.hot)["vote(bytes32)"](slateOf(yays)), proxy, slateOf(yays));
      expect(await chief.votes(proxy)).to.equal(slateOf(yays));
    });

    it("delegates cold's votes, which behave the same", async function () {
      const { proxy, chief, actors } = await load();
      const yays = candidates(2);
      await expectVoted(proxy.connect(actors.cold)["vote(address[])"](yays), proxy, slateOf(yays));
      await expectVoted(proxy.connect(actors.cold)["vote(bytes32)"](slateOf(yays)), proxy, slateOf(yays));
      expect(await chief.votes(proxy)).to.equal(slateOf(yays));
    });

    it("after a rotation, takes the new hot key's votes fast and refuses the old key's", async function () {
      const { proxy, chief, actors } = await load();
      expect(await ethers.provider.getStorage(proxy, 0)).to.equal(ethers.ZeroHash);
      await proxy.connect(actors.cold).rotateHot(actors.newHot);
      // The fast path reads slot 0: the implementation keeps the current key XOR the initial one there.
      expect(await ethers.provider.getStorage(proxy, 0)).to.equal(
        ethers.toBeHex(BigInt(actors.newHot.address) ^ BigInt(actors.hot.address), 32),
      );
      const to = await proxy.getAddress();
      const data = proxy.interface.encodeFunctionData("vote(address[])", [candidates(1)]);
      expect(await delegates(actors.newHot, to, data)).to.equal(false);
      expect(await delegates(actors.hot, to, data)).to.equal(true);
      await expectVoted(proxy.connect(actors.newHot)["vote(address[])"](candidates(1)), proxy);
      await expect(proxy.connect(actors.hot)["vote(address[])"](candidates(2)))
        .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
        .withArgs(actors.hot.address);
      await expect(proxy.connect(actors.hot)["vote(bytes32)"](slateOf(candidates(1))))
        .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
        .withArgs(actors.hot.address);
      // Rotating back to the initial key zeroes the slot: the fast path takes the key in the code again.
      await proxy.connect(actors.cold).rotateHot(actors.hot);
      expect(await ethers.provider.getStorage(proxy, 0)).to.equal(ethers.ZeroHash);
      expect(await delegates(actors.hot, to, data)).to.equal(false);
      await expect(proxy.connect(actors.newHot)["vote(address[])"](candidates(2)))
        .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
        .withArgs(actors.newHot.address);
      expect(await chief.votes(proxy)).to.equal(slateOf(candidates(1)));
    });

    it("refuses a stranger's votes through the implementation", async function () {
      const { proxy, actors } = await load();
      const data = proxy.interface.encodeFunctionData("vote(bytes32)", [ethers.ZeroHash]);
      expect(await delegates(actors.stranger, await proxy.getAddress(), data)).to.equal(true);
      await expect(proxy.connect(actors.stranger)["vote(address[])"](candidates(1)))
        .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
        .withArgs(actors.stranger.address);
      await expect(proxy.connect(actors.stranger)["vote(bytes32)"](ethers.ZeroHash))
        .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
        .withArgs(actors.stranger.address);
    });

    it("refuses ETH sent with the hot key's vote: the fast path forwards it and the chief's votes are not payable", async function () {
      const { proxy, chief, actors } = await load();
      const to = await proxy.getAddress();
      const before = await chief.votes(proxy);
      for (const data of [
        proxy.interface.encodeFunctionData("vote(address[])", [candidates(1)]),
        proxy.interface.encodeFunctionData("vote(bytes32)", [ethers.ZeroHash]),
      ]) {
        expect(await delegates(actors.hot, to, data, 1n)).to.equal(false);
        await expect(actors.hot.sendTransaction({ to, data, value: 1n })).to.be.revertedWithoutReason(ethers);
        // Through the implementation (cold), whose votes are not payable either.
        expect(await delegates(actors.cold, to, data, 1n)).to.equal(true);
        await expect(actors.cold.sendTransaction({ to, data, value: 1n })).to.be.revertedWithoutReason(
          ethers,
        );
      }
      expect(await ethers.provider.getBalance(proxy)).to.equal(0n);
      expect(await chief.votes(proxy)).to.equal(before);
    });

    it("delegates calldata shorter than a selector, even a prefix of a vote selector", async function () {
      const { proxy, actors } = await load();
      const to = await proxy.getAddress();
      for (const data of ["0x", "0xed", "0xed0813", "0xa69bea"]) {
        expect(await delegates(actors.hot, to, data), data).to.equal(true);
        await expect(actors.hot.sendTransaction({ to, data }), data).to.be.revertedWithoutReason(ethers);
      }
    });

    it("delegates the hot key's other calls", async function () {
      const { proxy, actors } = await load();
      const to = await proxy.getAddress();
      for (const data of [
        proxy.interface.encodeFunctionData("free", [WAD]),
        proxy.interface.encodeFunctionData("freeAll"),
        proxy.interface.encodeFunctionData("hot"),
        proxy.interface.encodeFunctionData("rotateHot", [actors.stranger.address]),
      ]) {
        expect(await delegates(actors.hot, to, data), data).to.equal(true);
      }
      expect(await proxy.connect(actors.hot).hot()).to.equal(actors.hot.address);
    });

    it("bubbles the chief's refusal of a malformed vote on both paths", async function () {
      const { proxy, actors } = await load();
      const to = await proxy.getAddress();
      // A vote(bytes32) cut short: the implementation's decoder refuses it on the slow path, the
      // chief's own decoder on the fast path; neither moves the vote nor logs one.
      const data = ethers.dataSlice(
        proxy.interface.encodeFunctionData("vote(bytes32)", [ethers.ZeroHash]),
        0,
        20,
      );
      for (const who of [actors.hot, actors.cold]) {
        await expect(who.sendTransaction({ to, data })).to.be.revertedWithoutReason(ethers);
      }
      // A slate nobody etched: the chief's reason comes back unchanged through the fast path.
      const reason = family === "DSChief" ? "ds-chief-invalid-slate" : "Chief/invalid-slate";
      for (const who of [actors.hot, actors.cold]) {
        await expect(proxy.connect(who)["vote(bytes32)"](ethers.id("never etched"))).to.be.revertedWith(
          reason,
        );
      }
    });
  });
}

describe("VoteProxy fast path through a hostile chief", function () {
  async function hostile() {
    const actors = await actorsOf(ethers);
    const gov = await ethers.deployContract("SkyToken");
    const chief = await ethers.deployContract("HostileChief", [gov, ethers.ZeroAddress]);
    const factory = await ethers.deployContract("VoteProxyFactory", [chief]);
    const id = customerIdFromLabel("fast path, hostile chief");
    await factory.createProxy(id, actors.cold, actors.hot);
    const proxy = await ethers.getContractAt(
      "VoteProxy",
      await factory.predictProxy(id, actors.cold, actors.hot),
    );
    await gov.mint(proxy, FUNDED);
    await proxy.connect(actors.hot).lock(FUNDED / 2n);
    return { actors, gov, chief, proxy };
  }

  it("bubbles the chief's revert data (and a reverted call keeps no log)", async function () {
    const { actors, chief, proxy } = await networkHelpers.loadFixture(hostile);
    await chief.setRefuse(true);
    await expect(
      proxy.connect(actors.hot)["vote(bytes32)"](ethers.id("slate")),
    ).to.be.revertedWithCustomError(chief, "HostileChiefRefused");
    await expect(proxy.connect(actors.hot)["vote(address[])"](candidates(1))).to.be.revertedWithCustomError(
      chief,
      "HostileChiefRefused",
    );
  });

  it("refuses every call the chief makes back into the proxy during a fast-path vote", async function () {
    const { actors, gov, chief, proxy } = await networkHelpers.loadFixture(hostile);
    const payloads: Record<string, string> = {
      freeAll: proxy.interface.encodeFunctionData("freeAll"),
      free: proxy.interface.encodeFunctionData("free", [1n]),
      lock: proxy.interface.encodeFunctionData("lock", [1n]),
      "vote(bytes32)": proxy.interface.encodeFunctionData("vote(bytes32)", [ethers.id("evil")]),
      "vote(address[])": proxy.interface.encodeFunctionData("vote(address[])", [candidates(1)]),
      rotateHot: proxy.interface.encodeFunctionData("rotateHot", [await chief.getAddress()]),
      rescue: proxy.interface.encodeFunctionData("rescue", [await gov.getAddress()]),
    };
    for (const [name, payload] of Object.entries(payloads)) {
      await chief.arm(payload);
      await expectVoted(proxy.connect(actors.hot)["vote(bytes32)"](ethers.id(name)), proxy, ethers.id(name));
      expect(await chief.lastCallbackSucceeded(), name).to.equal(false);
      expect(await chief.votes(proxy), name).to.equal(ethers.id(name));
    }
    expect(await gov.balanceOf(proxy)).to.equal(FUNDED / 2n);
    expect(await chief.deposits(proxy)).to.equal(FUNDED / 2n);
    expect(await proxy.hot()).to.equal(actors.hot.address);
  });
});

describe("VoteProxy fast path with a chief whose votes accept ETH", function () {
  it("forwards only the ETH the hot key attached: the proxy's own balance never moves, and others stay refused", async function () {
    const actors = await actorsOf(ethers);
    const gov = await ethers.deployContract("SkyToken");
    const chief = await ethers.deployContract("PayableVoteChief", [gov]);
    const factory = await ethers.deployContract("VoteProxyFactory", [chief]);
    const id = customerIdFromLabel("fast path, payable chief");
    await factory.createProxy(id, actors.cold, actors.hot);
    const proxy = await ethers.getContractAt(
      "VoteProxy",
      await factory.predictProxy(id, actors.cold, actors.hot),
    );
    // ETH the proxy holds (forced in): only cold's rescueEth may take it, and only to cold.
    await ethers.deployContract("ForceSendEth", [proxy], { value: 1_000n });
    // The ABI says non-payable, so the ETH goes in raw transactions with the same calldata.
    const to = await proxy.getAddress();
    const voteWith = (data: string, value: bigint) => actors.hot.sendTransaction({ to, data, value });
    await expectVoted(
      voteWith(proxy.interface.encodeFunctionData("vote(address[])", [candidates(2)]), 7n),
      proxy,
    );
    await voteWith(proxy.interface.encodeFunctionData("vote(bytes32)", [ethers.id("slate")]), 5n);
    expect(await chief.received()).to.equal(12n);
    expect(await ethers.provider.getBalance(proxy)).to.equal(1_000n);
    // A rotated-away key and a stranger reach the implementation, whose votes are not payable.
    await proxy.connect(actors.cold).rotateHot(actors.newHot);
    for (const who of [actors.hot, actors.stranger]) {
      await expect(
        who.sendTransaction({
          to,
          data: proxy.interface.encodeFunctionData("vote(bytes32)", [ethers.id("slate")]),
          value: 1n,
        }),
      ).to.be.revertedWithoutReason(ethers);
      await expect(proxy.connect(who)["vote(bytes32)"](ethers.id("slate")))
        .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
        .withArgs(who.address);
    }
    expect(await chief.received()).to.equal(12n);
    await expect(proxy.connect(actors.cold).rescueEth()).to.changeEtherBalances(
      ethers,
      [proxy, actors.cold],
      [-1_000n, 1_000n],
    );
  });
});
