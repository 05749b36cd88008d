// Origination of vote proxies: predictable CREATE2 addresses committing to cold and hot, the registry,
// the clone's exact code, refusals, and the implementation's chief detection.
import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { proxyCreationCode, proxyRuntimeCode } from "../../services/api/src/governance/create2.js";
import { FAMILIES, actorsOf, deployWorld, type Family, type World } from "../helpers/governance.js";
import { customerIdFromLabel } from "../../deploy/lib/customer-id.js";

const { ethers, networkHelpers } = await network.create();

const fixtures: Record<Family, () => Promise<World>> = {
  DSChief: async () => deployWorld(ethers, "DSChief"),
  SkyChief: async () => deployWorld(ethers, "SkyChief"),
};

const VOTE_PROXY_ERRORS = (await ethers.getContractFactory("VoteProxy")).interface;
/** Anything with the implementation's ABI, so its custom errors can be matched on a factory deploy. */
const voteProxyAbi = { interface: VOTE_PROXY_ERRORS };

const address = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((bytes) => ethers.getAddress(ethers.hexlify(bytes)))
  .filter((a) => a !== ethers.ZeroAddress);
/** A 128-bit customer id (a UUID's worth), left-padded to the factory's bytes32. */
const customerId = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((bytes) => ethers.zeroPadValue(ethers.hexlify(bytes), 32));

for (const family of FAMILIES) {
  describe(`VoteProxyFactory on ${family}`, function () {
    const load = async () => networkHelpers.loadFixture(fixtures[family]);

    it("deploys one implementation bound to its chief", async function () {
      const { factory, implementation, chief } = await load();
      expect(await factory.chief()).to.equal(await chief.getAddress());
      expect(await implementation.chief()).to.equal(await chief.getAddress());
      expect(await factory.isProxy(implementation)).to.equal(false);
    });

    it("creates every proxy at predictProxy's address, for random customers, colds and hots", async function () {
      const { factory, actors } = await load();
      await fc.assert(
        fc.asyncProperty(customerId, address, address, async (id, cold, hot) => {
          fc.pre(cold !== hot);
          const predicted = await factory.predictProxy(id, cold, hot);
          expect(await factory.isProxy(predicted)).to.equal(false);
          expect(await ethers.provider.getCode(predicted)).to.equal("0x");
          expect(await factory.connect(actors.stranger).createProxy.staticCall(id, cold, hot)).to.equal(
            predicted,
          );
          await expect(factory.connect(actors.stranger).createProxy(id, cold, hot))
            .to.emit(factory, "ProxyCreated")
            .withArgs(id, predicted, cold, hot);
          expect(await factory.isProxy(predicted)).to.equal(true);
          const proxy = await ethers.getContractAt("VoteProxy", predicted);
          expect(await proxy.cold()).to.equal(cold);
          expect(await proxy.hot()).to.equal(hot);
        }),
        { numRuns: 12 },
      );
    });

    it("gives the clone exactly the runtime of ProxyArgs, with its chief, cold, hot and customerId (165 bytes)", async function () {
      const { factory, proxy, actors, customerId: id, chief } = await load();
      const code = await ethers.provider.getCode(proxy);
      const expected = proxyRuntimeCode(
        await factory.implementation(),
        await chief.getAddress(),
        actors.cold.address,
        actors.hot.address,
        id,
      );
      expect(code).to.equal(expected.toLowerCase());
      expect(ethers.dataLength(code)).to.equal(165);
      expect(ethers.dataSlice(code, 0x1f, 0x33)).to.equal(actors.hot.address.toLowerCase());
      expect(ethers.dataSlice(code, 0x3c, 0x50)).to.equal((await chief.getAddress()).toLowerCase());
      expect(ethers.dataSlice(code, 0x81, 0x95)).to.equal(actors.cold.address.toLowerCase());
      expect(ethers.dataSlice(code, 0x95)).to.equal(ethers.dataSlice(id, 16));
      expect(await proxy.customerId()).to.equal(id);
    });

    it("derives the address from the CREATE2 rule over customerId and the code with cold and hot", async function () {
      const { factory, actors, customerId: id } = await load();
      const initCode = proxyCreationCode(
        await factory.implementation(),
        actors.cold.address,
        actors.hot.address,
        id,
      );
      expect(ethers.dataLength(initCode)).to.equal(80 + 165);
      const expected = ethers.getCreate2Address(await factory.getAddress(), id, ethers.keccak256(initCode));
      expect(await factory.predictProxy(id, actors.cold, actors.hot)).to.equal(expected);
      expect(await factory.isProxy(expected)).to.equal(true);
    });

    it("gives different addresses to a different customerId, cold or hot", async function () {
      const { factory, actors, customerId: id } = await load();
      const base = await factory.predictProxy(id, actors.cold, actors.hot);
      const variants = [
        await factory.predictProxy(customerIdFromLabel("another customer"), actors.cold, actors.hot),
        await factory.predictProxy(id, actors.stranger, actors.hot),
        await factory.predictProxy(id, actors.cold, actors.newHot),
        await factory.predictProxy(id, actors.hot, actors.cold),
      ];
      expect(new Set([base, ...variants]).size).to.equal(5);
    });

    it("registers only its own clones: not EOAs, the implementation, or another factory's clone", async function () {
      const world = await load();
      const { factory, actors, customerId: id, chief } = world;
      const twin = await ethers.deployContract("VoteProxyFactory", [chief]);
      await twin.createProxy(id, actors.cold, actors.hot);
      const twinsClone = await twin.predictProxy(id, actors.cold, actors.hot);
      expect(ethers.dataLength(await ethers.provider.getCode(twinsClone))).to.equal(165);
      expect(await factory.isProxy(twinsClone)).to.equal(false);
      expect(await twin.isProxy(twinsClone)).to.equal(true);
      expect(await twin.isProxy(world.proxy)).to.equal(false);
      for (const other of [actors.cold.address, await factory.implementation(), await factory.getAddress()]) {
        expect(await factory.isProxy(other)).to.equal(false);
      }
    });

    it("refuses to create the same proxy twice", async function () {
      const { factory, actors, customerId: id, proxy } = await load();
      await expect(factory.connect(actors.attacker).createProxy(id, actors.cold, actors.hot))
        .to.be.revertedWithCustomError(factory, "VoteProxyFactoryProxyExists")
        .withArgs(await proxy.getAddress());
    });

    it("refuses a zero cold, a zero hot and a hot equal to cold", async function () {
      const { factory, actors } = await load();
      const id = customerIdFromLabel("refused");
      await expect(factory.createProxy(id, ethers.ZeroAddress, actors.hot))
        .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidCold")
        .withArgs(ethers.ZeroAddress);
      await expect(factory.createProxy(id, actors.cold, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidHot")
        .withArgs(ethers.ZeroAddress);
      await expect(factory.createProxy(id, actors.cold, actors.cold))
        .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidHot")
        .withArgs(actors.cold.address);
    });

    it("lets any account originate, with no signature or call from cold", async function () {
      const { factory, actors } = await load();
      const random = ethers.Wallet.createRandom().connect(ethers.provider);
      await actors.deployer.sendTransaction({ to: random.address, value: ethers.parseEther("1") });
      const id = customerIdFromLabel("originated by a random account");
      const predicted = await factory.predictProxy(id, actors.cold, actors.hot);
      await expect(factory.connect(random).createProxy(id, actors.cold, actors.hot))
        .to.emit(factory, "ProxyCreated")
        .withArgs(id, predicted, actors.cold.address, actors.hot.address);
      expect(await ethers.provider.getTransactionCount(actors.cold)).to.equal(0);
    });

    it(
      family === "DSChief"
        ? "grants the chief its IOU allowance in the origination transaction"
        : "grants no IOU allowance on Sky's chief, which has no IOU",
      async function () {
        const world = await load();
        const { factory, actors, chief } = world;
        const id = customerIdFromLabel("iou allowance at origination");
        const predicted = await factory.predictProxy(id, actors.cold, actors.hot);
        const proxy = await ethers.getContractAt("VoteProxy", predicted);
        const tx = factory.connect(actors.stranger).createProxy(id, actors.cold, actors.hot);
        // The clone's constructor grants it directly (no call through the implementation, hence no
        // ChiefIouApproved): the IOU token's own Approval event and allowance are the record.
        await expect(tx).to.not.emit(proxy, "ChiefIouApproved");
        expect(await factory.iou()).to.equal(await proxy.iou());
        if (world.family === "DSChief") {
          await expect(tx)
            .to.emit(world.iou!, "Approval")
            .withArgs(predicted, await chief.getAddress(), ethers.MaxUint256);
          expect(await world.iou!.allowance(predicted, chief)).to.equal(ethers.MaxUint256);
        } else {
          expect(await factory.iou()).to.equal(ethers.ZeroAddress);
        }
      },
    );

    // On Sky's Chief the clone's constructor makes no call that can fail on its own (no IOU): a
    // starved CREATE2 uses all it was given, and the 1/64 left cannot pay the factory's collision
    // check (a cold account read), so only DSChief's origination has a window; the collision test
    // below reaches the same branch on both chiefs.
    if (family === "DSChief")
      it("reverts with VoteProxyFactoryCreateFailed when CREATE2 runs out of gas", async function () {
        const { factory, actors } = await load();
        // Coverage probes (a STATICCALL per statement) cost more than the 1/64 of gas CREATE2 leaves
        // its caller, so this branch is reachable by gas starvation only in uninstrumented bytecode;
        // the collision test below reaches it in both builds.
        const instrumented = (await ethers.provider.getCode(factory)).includes(
          "c0bec0bec0bec0bec0bec0bec0bec0bec0bec0be",
        );
        if (instrumented) this.skip();
        const id = customerIdFromLabel("starved");
        const enough = await factory.createProxy.estimateGas(id, actors.cold, actors.hot);
        const createFailed = factory.interface.getError("VoteProxyFactoryCreateFailed")!.selector;
        // The inner CREATE2 gets 63/64 of what is left; search for a limit that starves it while the
        // remaining 1/64 still pays for the factory's own revert.
        let starving: bigint | null = null;
        for (let limit = enough - 1_000n; limit > enough - 60_000n && starving === null; limit -= 1_000n) {
          try {
            await factory.createProxy.staticCall(id, actors.cold, actors.hot, { gasLimit: limit });
          } catch (error) {
            const data = (error as { data?: string }).data;
            if (typeof data === "string" && data.startsWith(createFailed)) starving = limit;
          }
        }
        if (starving === null)
          expect.fail("no gas limit starves CREATE2 while leaving the factory gas to revert");
        await expect(
          factory.createProxy(id, actors.cold, actors.hot, { gasLimit: starving }),
        ).to.be.revertedWithCustomError(factory, "VoteProxyFactoryCreateFailed");
        const predicted = await factory.predictProxy(id, actors.cold, actors.hot);
        expect(await factory.isProxy(predicted)).to.equal(false);
        await factory.createProxy(id, actors.cold, actors.hot);
        expect(await factory.isProxy(predicted)).to.equal(true);
      });

    it("reverts with VoteProxyFactoryCreateFailed when the address collides (nonce set, no code)", async function () {
      const { factory, actors } = await load();
      const id = customerIdFromLabel("collision");
      const predicted = await factory.predictProxy(id, actors.cold, actors.hot);
      // EIP-684: CREATE2 fails onto an account with a nonce even without code. Only a test chain can
      // produce such an account at a fresh CREATE2 address; it stands for any CREATE2 failure.
      await ethers.provider.send("hardhat_setNonce", [predicted, "0x1"]);
      await expect(
        factory.createProxy(id, actors.cold, actors.hot, { gasLimit: 5_000_000n }),
      ).to.be.revertedWithCustomError(factory, "VoteProxyFactoryCreateFailed");
      expect(await factory.isProxy(predicted)).to.equal(false);
      expect(await ethers.provider.getCode(predicted)).to.equal("0x");
    });
  });
}

describe("VoteProxyFactory input and fallback", function () {
  it("refuses a customerId beyond 128 bits in createProxy and predictProxy, and creates nothing", async function () {
    const { factory, actors } = await networkHelpers.loadFixture(fixtures.DSChief);
    const fits = ethers.toBeHex((1n << 128n) - 1n, 32);
    for (const wide of [ethers.toBeHex(1n << 128n, 32), ethers.id("a hash, not a UUID")]) {
      await expect(factory.createProxy(wide, actors.cold, actors.hot))
        .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidCustomerId")
        .withArgs(wide);
      await expect(factory.predictProxy(wide, actors.cold, actors.hot))
        .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidCustomerId")
        .withArgs(wide);
    }
    // The largest 128-bit id is accepted, and the proxy reports it back whole.
    await factory.createProxy(fits, actors.cold, actors.hot);
    const proxy = await ethers.getContractAt(
      "VoteProxy",
      await factory.predictProxy(fits, actors.cold, actors.hot),
    );
    expect(await proxy.customerId()).to.equal(fits);
    expect(await factory.isProxy(proxy)).to.equal(true);
  });

  it("answers empty calldata with (chief, iou) for the clone's constructor, and nothing else", async function () {
    for (const family of FAMILIES) {
      const { factory, actors } = await networkHelpers.loadFixture(fixtures[family]);
      const to = await factory.getAddress();
      expect(await actors.stranger.call({ to, data: "0x" })).to.equal(
        ethers.AbiCoder.defaultAbiCoder().encode(
          ["address", "address"],
          [await factory.chief(), await factory.iou()],
        ),
      );
      for (const data of ["0x00", "0xdeadbeef", "0xdeadbeef" + "00".repeat(32)]) {
        await expect(actors.stranger.sendTransaction({ to, data })).to.be.revertedWithCustomError(
          factory,
          "VoteProxyFactoryUnknownCall",
        );
      }
      // Not payable: ETH sent to the factory is refused.
      await expect(actors.stranger.sendTransaction({ to, value: 1n })).to.be.revertedWithoutReason(ethers);
    }
  });
});

describe("VoteProxyFactory findings", function () {
  it("finding 0702: predictProxy refuses the inputs createProxy refuses, so no one funds an address that can never hold a proxy", async function () {
    const { factory, actors } = await networkHelpers.loadFixture(fixtures.DSChief);
    const id = customerIdFromLabel("never creatable");
    await expect(factory.predictProxy(id, ethers.ZeroAddress, actors.hot))
      .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidCold")
      .withArgs(ethers.ZeroAddress);
    await expect(factory.predictProxy(id, actors.cold, ethers.ZeroAddress))
      .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidHot")
      .withArgs(ethers.ZeroAddress);
    await expect(factory.predictProxy(id, actors.cold, actors.cold))
      .to.be.revertedWithCustomError(factory, "VoteProxyFactoryInvalidHot")
      .withArgs(actors.cold.address);
  });
});

describe("VoteProxy chief detection", function () {
  async function expectUnsupported(chief: string): Promise<void> {
    await expect(ethers.deployContract("VoteProxyFactory", [chief]))
      .to.be.revertedWithCustomError(voteProxyAbi, "VoteProxyUnsupportedChief")
      .withArgs(chief);
    await expect(ethers.deployContract("VoteProxy", [chief]))
      .to.be.revertedWithCustomError(voteProxyAbi, "VoteProxyUnsupportedChief")
      .withArgs(chief);
  }

  it("detects DSChief by IOU() and Sky's chief by gov()", async function () {
    const ds = await networkHelpers.loadFixture(fixtures.DSChief);
    const sky = await networkHelpers.loadFixture(fixtures.SkyChief);
    expect(await ds.implementation.iou()).to.equal(await ds.iou!.getAddress());
    expect(await ds.implementation.gov()).to.equal(await ds.gov.getAddress());
    expect(await sky.implementation.iou()).to.equal(ethers.ZeroAddress);
    expect(await sky.implementation.gov()).to.equal(await sky.gov.getAddress());
  });

  it("treats a chief whose IOU() reverts as Sky-shaped", async function () {
    const token = await ethers.deployContract("SkyToken");
    const hostile = await ethers.deployContract("HostileChief", [token, ethers.ZeroAddress]);
    const implementation = await ethers.deployContract("VoteProxy", [hostile]);
    expect(await implementation.iou()).to.equal(ethers.ZeroAddress);
    expect(await implementation.gov()).to.equal(await token.getAddress());
  });

  it("treats a chief whose IOU() is zero as Sky-shaped (no IOU token)", async function () {
    const token = await ethers.deployContract("SkyToken");
    const draft = await ethers.deployContract("ZeroIouChiefShape", [token]);
    const implementation = await ethers.deployContract("VoteProxy", [draft]);
    expect(await implementation.iou()).to.equal(ethers.ZeroAddress);
    expect(await implementation.gov()).to.equal(await token.getAddress());
  });

  it("refuses a chief without code", async function () {
    const { stranger } = await actorsOf(ethers);
    await expectUnsupported(stranger.address);
  });

  it("refuses a DSChief-shaped chief whose IOU or GOV has no code", async function () {
    const { stranger } = await actorsOf(ethers);
    const token = await ethers.deployContract("SkyToken");
    const noIou = await ethers.deployContract("DSChiefShape", [stranger.address, token]);
    await expectUnsupported(await noIou.getAddress());
    const noGov = await ethers.deployContract("DSChiefShape", [token, stranger.address]);
    await expectUnsupported(await noGov.getAddress());
  });

  it("refuses a Sky-shaped chief whose gov has no code", async function () {
    const { stranger } = await actorsOf(ethers);
    const noGov = await ethers.deployContract("SkyChiefShape", [stranger.address]);
    await expectUnsupported(await noGov.getAddress());
  });

  it("refuses a contract that answers neither getter, or answers with the wrong length", async function () {
    const token = await ethers.deployContract("SkyToken");
    await expectUnsupported(await token.getAddress());
    for (const size of [0, 31, 64]) {
      const malformed = await ethers.deployContract("MalformedChief", [size]);
      await expectUnsupported(await malformed.getAddress());
    }
  });
});
