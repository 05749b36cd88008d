import { expect } from "chai";
import { network } from "hardhat";
import { fourSigners } from "./helpers.js";

const { ethers, networkHelpers } = await network.create();
const WAD = 10n ** 18n;

describe("hostile doubles", function () {
  async function deployDoubles() {
    const [deployer, alice, bob] = await fourSigners(ethers);
    const reentrant = await ethers.deployContract("ReentrantToken");
    const sky = await ethers.deployContract("SkyToken");
    const relay = await ethers.deployContract("CallRelay");
    return { deployer, alice, bob, reentrant, sky, relay };
  }

  describe("ReentrantToken", function () {
    it("fires an armed callback once, before the transfer, and records a success", async function () {
      const { alice, bob, reentrant } = await networkHelpers.loadFixture(deployDoubles);
      await reentrant.mint(alice.address, 10n);
      const mintCall = reentrant.interface.encodeFunctionData("mint", [bob.address, 1n]);
      await reentrant.arm(await reentrant.getAddress(), mintCall);
      await expect(reentrant.connect(alice).transfer(bob.address, 4n))
        .to.emit(reentrant, "CallbackMade")
        .withArgs(await reentrant.getAddress(), true, "0x");
      expect(await reentrant.balanceOf(bob.address)).to.equal(5n);
      expect(await reentrant.callbackCount()).to.equal(1n);
      expect(await reentrant.armed()).to.equal(false);
      await reentrant.connect(alice).transfer(bob.address, 1n);
      expect(await reentrant.callbackCount()).to.equal(1n);
    });

    it("records a victim's refusal without failing the transfer that carried it", async function () {
      const { alice, bob, reentrant } = await networkHelpers.loadFixture(deployDoubles);
      const chief = await ethers.deployContract("SkyChief", [await reentrant.getAddress(), 5, 1, 0]);
      await reentrant.mint(alice.address, 10n * WAD);
      await reentrant.connect(alice).approve(await chief.getAddress(), ethers.MaxUint256);
      // During alice's lock the token tries to free tokens it never locked.
      await reentrant.arm(await chief.getAddress(), chief.interface.encodeFunctionData("free", [WAD]));
      await chief.connect(alice).lock(2n * WAD);
      expect(await chief.deposits(alice.address)).to.equal(2n * WAD);
      expect(await reentrant.lastCallbackSucceeded()).to.equal(false);
      const panic = ethers.concat(["0x4e487b71", ethers.toBeHex(0x11, 32)]);
      expect(await reentrant.lastCallbackReturnData()).to.equal(panic);
      expect(await reentrant.balanceOf(bob.address)).to.equal(0n);
    });

    it("serves as a DSChief GOV through pull and push", async function () {
      const { alice, reentrant } = await networkHelpers.loadFixture(deployDoubles);
      const iou = await ethers.deployContract("DSToken", ["IOU"]);
      const chief = await ethers.deployContract("DSChief", [
        await reentrant.getAddress(),
        await iou.getAddress(),
        5,
      ]);
      await iou.setOwner(await chief.getAddress());
      await reentrant.mint(alice.address, 3n);
      await reentrant.connect(alice).approve(await chief.getAddress(), 3n);
      await iou.connect(alice)["approve(address)"](await chief.getAddress());
      await chief.connect(alice).lock(3n);
      await chief.connect(alice).free(3n);
      expect(await reentrant.balanceOf(alice.address)).to.equal(3n);
      await expect(chief.connect(alice).lock(1n))
        .to.be.revertedWithCustomError(reentrant, "ReentrantTokenInsufficientAllowance")
        .withArgs(alice.address, await chief.getAddress(), 0n, 1n);
    });
  });

  describe("HostileChief", function () {
    async function deployHostile() {
      const base = await deployDoubles();
      const chief = await ethers.deployContract("HostileChief", [
        await base.sky.getAddress(),
        ethers.ZeroAddress,
      ]);
      await base.sky.mint(base.alice.address, 10n * WAD);
      await base.sky.connect(base.alice).approve(await chief.getAddress(), ethers.MaxUint256);
      return { ...base, chief };
    }

    it("looks like Sky's Chief when built without an IOU, and like DSChief with one", async function () {
      const { sky, chief } = await networkHelpers.loadFixture(deployHostile);
      expect(await chief.gov()).to.equal(await sky.getAddress());
      expect(await chief.GOV()).to.equal(await sky.getAddress());
      await expect(chief.IOU()).to.be.revertedWithCustomError(chief, "HostileChiefNoIou");
      const iou = await ethers.deployContract("DSToken", ["IOU"]);
      const dsLike = await ethers.deployContract("HostileChief", [
        await sky.getAddress(),
        await iou.getAddress(),
      ]);
      expect(await dsLike.IOU()).to.equal(await iou.getAddress());
    });

    it("locks and frees honestly until told otherwise", async function () {
      const { sky, alice, chief } = await networkHelpers.loadFixture(deployHostile);
      await chief.connect(alice).lock(4n * WAD);
      expect(await chief.deposits(alice.address)).to.equal(4n * WAD);
      await chief.connect(alice).free(WAD);
      expect(await sky.balanceOf(alice.address)).to.equal(7n * WAD);
      await chief.connect(alice)["vote(address[])"]([alice.address]);
      expect(await chief.votes(alice.address)).to.equal(
        ethers.solidityPackedKeccak256(["address[]"], [[alice.address]]),
      );
    });

    it("keeps freed tokens, fakes deposits and refuses everything on demand", async function () {
      const { sky, alice, chief } = await networkHelpers.loadFixture(deployHostile);
      await chief.connect(alice).lock(4n * WAD);
      await chief.setKeepTokens(true);
      await chief.connect(alice).free(4n * WAD);
      expect(await sky.balanceOf(alice.address)).to.equal(6n * WAD);
      expect(await chief.deposits(alice.address)).to.equal(0n);
      await chief.setFakeDeposits(true, 123n);
      expect(await chief.deposits(alice.address)).to.equal(123n);
      await chief.setRefuse(true);
      await expect(chief.connect(alice).lock(1n)).to.be.revertedWithCustomError(chief, "HostileChiefRefused");
      await expect(chief.connect(alice)["vote(bytes32)"](ethers.ZeroHash)).to.be.revertedWithCustomError(
        chief,
        "HostileChiefRefused",
      );
    });

    it("calls back into its caller during lock and records the caller's refusal", async function () {
      const { sky, chief, relay } = await networkHelpers.loadFixture(deployHostile);
      await sky.mint(await relay.getAddress(), WAD);
      await relay.relay(
        await sky.getAddress(),
        sky.interface.encodeFunctionData("approve", [await chief.getAddress(), WAD]),
      );
      await chief.arm(relay.interface.encodeFunctionData("ping"));
      await relay.relay(await chief.getAddress(), chief.interface.encodeFunctionData("lock", [WAD]));
      expect(await chief.callbackCount()).to.equal(1n);
      expect(await chief.lastCallbackSucceeded()).to.equal(false);
      expect(await chief.lastCallbackReturnData()).to.equal(
        relay.interface.getError("CallRelayReentered")!.selector,
      );
      expect(await chief.deposits(await relay.getAddress())).to.equal(WAD);
      expect(await relay.pings()).to.equal(0n);
    });

    it("records a successful callback too, so a refusal assertion can fail", async function () {
      const { alice, chief, relay } = await networkHelpers.loadFixture(deployHostile);
      await chief.arm(relay.interface.encodeFunctionData("ping"));
      // Called by an account with no code, the callback has nothing to refuse.
      await expect(chief.connect(alice).lock(WAD))
        .to.emit(chief, "CallbackMade")
        .withArgs(alice.address, true, "0x");
      expect(await chief.lastCallbackSucceeded()).to.equal(true);
    });
  });

  describe("NoReturnToken and FeeOnTransferToken", function () {
    it("NoReturnToken moves tokens but returns no data", async function () {
      const { alice, bob } = await networkHelpers.loadFixture(deployDoubles);
      const token = await ethers.deployContract("NoReturnToken");
      await token.mint(alice.address, 10n);
      const data = token.interface.encodeFunctionData("transfer", [bob.address, 4n]);
      expect(
        await ethers.provider.call({ to: await token.getAddress(), from: alice.address, data }),
      ).to.equal("0x");
      await alice.sendTransaction({ to: await token.getAddress(), data });
      expect(await token.balanceOf(bob.address)).to.equal(4n);
      await expect(token.connect(bob).transferFrom(alice.address, bob.address, 1n))
        .to.be.revertedWithCustomError(token, "NoReturnTokenInsufficientAllowance")
        .withArgs(alice.address, bob.address, 0n, 1n);
    });

    it("FeeOnTransferToken delivers 1 % less than asked and burns the fee", async function () {
      const { alice, bob } = await networkHelpers.loadFixture(deployDoubles);
      const token = await ethers.deployContract("FeeOnTransferToken");
      await token.mint(alice.address, 1_000n);
      await token.connect(alice).transfer(bob.address, 500n);
      expect(await token.balanceOf(bob.address)).to.equal(495n);
      expect(await token.balanceOf(alice.address)).to.equal(500n);
      expect(await token.totalSupply()).to.equal(995n);
    });
  });

  describe("ForceSendEth", function () {
    it("credits ETH to a contract that cannot receive it, without running its code", async function () {
      const { sky } = await networkHelpers.loadFixture(deployDoubles);
      // SkyToken has neither receive nor fallback: a plain send is refused.
      const [sender] = await fourSigners(ethers);
      await expect(sender.sendTransaction({ to: await sky.getAddress(), value: 1n })).to.be.revert(ethers);
      await ethers.deployContract("ForceSendEth", [await sky.getAddress()], { value: 12345n });
      expect(await ethers.provider.getBalance(await sky.getAddress())).to.equal(12345n);
    });
  });
});
