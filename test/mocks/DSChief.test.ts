import { expect } from "chai";
import { network } from "hardhat";
import { byteOrdered, FIXED_GAS, fourSigners, inOneBlock, orderedCandidates, slateOf } from "./helpers.js";

const { ethers, networkHelpers } = await network.create();
const WAD = 10n ** 18n;
const MAX_YAYS = 5;
// keccak256 of zero bytes: the empty slate, votable without being etched.
const EMPTY_SLATE = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";
const LAUNCH_THRESHOLD = 80_000n * WAD;

describe("DSChief v1.2 (local double)", function () {
  async function deployChief() {
    const [deployer, alice, bob, carol] = await fourSigners(ethers);
    const gov = await ethers.deployContract("DSToken", ["MKR"]);
    const iou = await ethers.deployContract("DSToken", ["IOU"]);
    const chief = await ethers.deployContract("DSChief", [
      await gov.getAddress(),
      await iou.getAddress(),
      MAX_YAYS,
    ]);
    // As in deployment: the chief owns the IOU token so it can mint and burn it.
    await iou.setOwner(await chief.getAddress());
    for (const voter of [alice, bob, carol]) {
      await gov["mint(address,uint256)"](voter.address, 100_000n * WAD);
      await gov.connect(voter)["approve(address)"](await chief.getAddress());
      await iou.connect(voter)["approve(address)"](await chief.getAddress());
    }
    const [c1, c2, c3] = orderedCandidates(ethers, 3) as [string, string, string];
    return { gov, iou, chief, deployer, alice, bob, carol, c1, c2, c3 };
  }

  describe("deployment", function () {
    it("exposes GOV, IOU, MAX_YAYS and starts unlaunched with no hat, owner or mutable authority", async function () {
      const { gov, iou, chief } = await networkHelpers.loadFixture(deployChief);
      expect(await chief.GOV()).to.equal(await gov.getAddress());
      expect(await chief.IOU()).to.equal(await iou.getAddress());
      expect(await chief.MAX_YAYS()).to.equal(BigInt(MAX_YAYS));
      expect(await chief.hat()).to.equal(ethers.ZeroAddress);
      expect(await chief.live()).to.equal(false);
      expect(await chief.owner()).to.equal(ethers.ZeroAddress);
      expect(await chief.authority()).to.equal(await chief.getAddress());
    });

    it("refuses setOwner, setAuthority and setRootUser from anyone", async function () {
      const { chief, deployer } = await networkHelpers.loadFixture(deployChief);
      await expect(chief.setOwner(deployer.address)).to.be.revertedWithoutReason(ethers);
      await expect(chief.setAuthority(deployer.address)).to.be.revertedWithoutReason(ethers);
      await expect(chief.setRootUser(deployer.address, true)).to.be.revertedWithoutReason(ethers);
    });
  });

  describe("lock and free", function () {
    it("lock pulls GOV, mints IOU 1:1, records the deposit and the lock block", async function () {
      const { gov, iou, chief, alice } = await networkHelpers.loadFixture(deployChief);
      const tx = await chief.connect(alice).lock(10n * WAD);
      const receipt = await tx.wait();
      expect(await gov.balanceOf(await chief.getAddress())).to.equal(10n * WAD);
      expect(await gov.balanceOf(alice.address)).to.equal(99_990n * WAD);
      expect(await iou.balanceOf(alice.address)).to.equal(10n * WAD);
      expect(await iou.totalSupply()).to.equal(10n * WAD);
      expect(await chief.deposits(alice.address)).to.equal(10n * WAD);
      expect(await chief.last(alice.address)).to.equal(BigInt(receipt!.blockNumber));
    });

    it("lock needs a GOV allowance for the chief", async function () {
      const { gov, chief, alice } = await networkHelpers.loadFixture(deployChief);
      await gov.connect(alice)["approve(address,uint256)"](await chief.getAddress(), WAD - 1n);
      await expect(chief.connect(alice).lock(WAD)).to.be.revertedWith("ds-token-insufficient-approval");
    });

    it("free in a later block burns IOU and pushes GOV back", async function () {
      const { gov, iou, chief, alice } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(10n * WAD);
      await chief.connect(alice).free(4n * WAD);
      expect(await chief.deposits(alice.address)).to.equal(6n * WAD);
      expect(await iou.balanceOf(alice.address)).to.equal(6n * WAD);
      expect(await iou.totalSupply()).to.equal(6n * WAD);
      expect(await gov.balanceOf(alice.address)).to.equal(99_994n * WAD);
      expect(await gov.balanceOf(await chief.getAddress())).to.equal(6n * WAD);
    });

    it("free needs the voter's IOU allowance for the chief, which burns it", async function () {
      const { iou, chief, alice } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(10n * WAD);
      await iou.connect(alice)["approve(address,uint256)"](await chief.getAddress(), 0n);
      await expect(chief.connect(alice).free(WAD)).to.be.revertedWith("ds-token-insufficient-approval");
    });

    it("free cannot release more than the caller deposited", async function () {
      const { chief, alice, bob } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(10n * WAD);
      await chief.connect(bob).lock(10n * WAD);
      await expect(chief.connect(alice).free(10n * WAD + 1n)).to.be.revertedWith("ds-math-sub-underflow");
    });

    it("a free in the same block as the caller's lock fails, and succeeds one block later", async function () {
      const { gov, chief, alice } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(5n * WAD);
      await networkHelpers.mine();
      const [lock, free] = await inOneBlock(ethers, [
        () => chief.connect(alice).lock(WAD, { gasLimit: FIXED_GAS }),
        () => chief.connect(alice).free(WAD, { gasLimit: FIXED_GAS }),
      ]);
      expect(lock!.status).to.equal(1);
      expect(free!.status).to.equal(0);
      expect(await chief.deposits(alice.address)).to.equal(6n * WAD);
      await chief.connect(alice).free(6n * WAD);
      expect(await gov.balanceOf(alice.address)).to.equal(100_000n * WAD);
    });

    it("the same-block guard is per sender: another voter's lock does not block a free", async function () {
      const { chief, alice, bob } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(5n * WAD);
      await networkHelpers.mine();
      const [bobLock, aliceFree] = await inOneBlock(ethers, [
        () => chief.connect(bob).lock(WAD, { gasLimit: FIXED_GAS }),
        () => chief.connect(alice).free(WAD, { gasLimit: FIXED_GAS }),
      ]);
      expect(bobLock!.status).to.equal(1);
      expect(aliceFree!.status).to.equal(1);
    });
  });

  describe("etch", function () {
    it("stores a byte-ordered slate under keccak256 of the packed addresses and emits Etch", async function () {
      const { chief, c1, c2, c3 } = await networkHelpers.loadFixture(deployChief);
      const yays = [c1, c2, c3];
      const slate = slateOf(ethers, yays);
      await expect(chief.etch(yays)).to.emit(chief, "Etch").withArgs(slate);
      expect(await chief.slates(slate, 0)).to.equal(c1);
      expect(await chief.slates(slate, 2)).to.equal(c3);
      expect(await chief.etch.staticCall(yays)).to.equal(slate);
    });

    it("refuses unordered slates and duplicates, reason-less as the original", async function () {
      const { chief, c1, c2 } = await networkHelpers.loadFixture(deployChief);
      await expect(chief.etch([c2, c1])).to.be.revertedWithoutReason(ethers);
      await expect(chief.etch([c1, c1])).to.be.revertedWithoutReason(ethers);
    });

    it("accepts the empty and single-candidate slates", async function () {
      const { chief, c2 } = await networkHelpers.loadFixture(deployChief);
      await expect(chief.etch([])).to.emit(chief, "Etch").withArgs(EMPTY_SLATE);
      await expect(chief.etch([c2]))
        .to.emit(chief, "Etch")
        .withArgs(slateOf(ethers, [c2]));
    });

    for (const size of [MAX_YAYS - 1, MAX_YAYS, MAX_YAYS + 1]) {
      it(`${size <= MAX_YAYS ? "accepts" : "refuses"} a slate of ${size} yays (MAX_YAYS = ${MAX_YAYS})`, async function () {
        const { chief } = await networkHelpers.loadFixture(deployChief);
        const yays = orderedCandidates(ethers, size);
        if (size <= MAX_YAYS) {
          await expect(chief.etch(yays)).to.emit(chief, "Etch").withArgs(slateOf(ethers, yays));
        } else {
          await expect(chief.etch(yays)).to.be.revertedWithoutReason(ethers);
        }
      });
    }
  });

  describe("vote", function () {
    it("vote(address[]) etches the slate and adds the voter's whole deposit to every yay", async function () {
      const { chief, alice, c1, c2, c3 } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(7n * WAD);
      const slate = await chief.connect(alice)["vote(address[])"].staticCall([c1, c2]);
      await expect(chief.connect(alice)["vote(address[])"]([c1, c2]))
        .to.emit(chief, "Etch")
        .withArgs(slate);
      expect(await chief.votes(alice.address)).to.equal(slate);
      expect(await chief.approvals(c1)).to.equal(7n * WAD);
      expect(await chief.approvals(c2)).to.equal(7n * WAD);
      expect(await chief.approvals(c3)).to.equal(0n);
    });

    it("moving a vote moves the weight; later locks and frees follow the current slate", async function () {
      const { chief, alice, c1, c2, c3 } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(7n * WAD);
      await chief.connect(alice)["vote(address[])"]([c1, c2]);
      await chief.connect(alice)["vote(address[])"]([c2, c3]);
      expect(await chief.approvals(c1)).to.equal(0n);
      expect(await chief.approvals(c2)).to.equal(7n * WAD);
      expect(await chief.approvals(c3)).to.equal(7n * WAD);
      await chief.connect(alice).lock(3n * WAD);
      expect(await chief.approvals(c3)).to.equal(10n * WAD);
      await chief.connect(alice).free(4n * WAD);
      expect(await chief.approvals(c2)).to.equal(6n * WAD);
    });

    it("vote(bytes32) accepts an etched slate or the empty slate, and nothing else", async function () {
      const { chief, alice, bob, c1 } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(2n * WAD);
      const slate = slateOf(ethers, [c1]);
      await expect(chief.connect(alice)["vote(bytes32)"](slate)).to.be.revertedWith("ds-chief-invalid-slate");
      await chief.connect(bob).etch([c1]);
      await chief.connect(alice)["vote(bytes32)"](slate);
      expect(await chief.approvals(c1)).to.equal(2n * WAD);
      await chief.connect(alice)["vote(bytes32)"](EMPTY_SLATE);
      expect(await chief.approvals(c1)).to.equal(0n);
      expect(await chief.votes(alice.address)).to.equal(EMPTY_SLATE);
    });

    it("sums approvals across voters who share a candidate", async function () {
      const { chief, alice, bob, c1, c2 } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(3n * WAD);
      await chief.connect(bob).lock(4n * WAD);
      await chief.connect(alice)["vote(address[])"]([c1]);
      await chief.connect(bob)["vote(address[])"](byteOrdered([c2, c1]));
      expect(await chief.approvals(c1)).to.equal(7n * WAD);
      expect(await chief.approvals(c2)).to.equal(4n * WAD);
    });
  });

  describe("lift and launch", function () {
    it("lift needs strictly more approvals than the current hat", async function () {
      const { chief, alice, bob, c1, c2 } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(5n * WAD);
      await chief.connect(alice)["vote(address[])"]([c1]);
      await chief.lift(c1);
      expect(await chief.hat()).to.equal(c1);
      await chief.connect(bob).lock(5n * WAD);
      await chief.connect(bob)["vote(address[])"]([c2]);
      await expect(chief.lift(c2)).to.be.revertedWithoutReason(ethers);
      await chief.connect(bob).lock(1n);
      await chief.lift(c2);
      expect(await chief.hat()).to.equal(c2);
    });

    it("launch needs 80,000 GOV behind address(0) while no hat is set, and happens once", async function () {
      const { chief, alice } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(LAUNCH_THRESHOLD - 1n);
      await chief.connect(alice)["vote(address[])"]([ethers.ZeroAddress]);
      await expect(chief.launch()).to.be.revertedWithoutReason(ethers);
      await chief.connect(alice).lock(1n);
      await chief.launch();
      expect(await chief.live()).to.equal(true);
      await expect(chief.launch()).to.be.revertedWithoutReason(ethers);
    });

    it("makes the hat the only root user, and only once live", async function () {
      const { chief, alice, bob, c1 } = await networkHelpers.loadFixture(deployChief);
      const sig = "0x12345678";
      await chief.connect(alice).lock(LAUNCH_THRESHOLD);
      await chief.connect(alice)["vote(address[])"]([c1]);
      await chief.lift(c1);
      expect(await chief.isUserRoot(c1)).to.equal(false);
      expect(await chief.canCall(c1, bob.address, sig)).to.equal(false);
      // launch needs address(0) to be the hat: move the weight there, lift it, then launch.
      await chief.connect(alice)["vote(address[])"]([ethers.ZeroAddress]);
      await expect(chief.launch()).to.be.revertedWithoutReason(ethers);
      await chief.lift(ethers.ZeroAddress);
      await chief.launch();
      await chief.connect(alice)["vote(address[])"]([c1]);
      await chief.lift(c1);
      expect(await chief.isUserRoot(c1)).to.equal(true);
      expect(await chief.canCall(c1, bob.address, sig)).to.equal(true);
      expect(await chief.canCall(bob.address, bob.address, sig)).to.equal(false);
    });
  });
});
