import { expect } from "chai";
import { network } from "hardhat";
import { FIXED_GAS, fourSigners, inOneBlock, orderedCandidates, slateOf } from "./helpers.js";

const { ethers, networkHelpers } = await network.create();
const WAD = 10n ** 18n;
const MAX_YAYS = 5;
const LAUNCH_THRESHOLD = 1_000n * WAD;
const LIFT_COOLDOWN = 10;

describe("Sky Chief 2025 (local double)", function () {
  async function deployChief() {
    const [deployer, alice, bob, carol] = await fourSigners(ethers);
    const sky = await ethers.deployContract("SkyToken");
    const chief = await ethers.deployContract("SkyChief", [
      await sky.getAddress(),
      MAX_YAYS,
      LAUNCH_THRESHOLD,
      LIFT_COOLDOWN,
    ]);
    for (const voter of [alice, bob, carol]) {
      await sky.mint(voter.address, 10_000n * WAD);
      await sky.connect(voter).approve(await chief.getAddress(), ethers.MaxUint256);
    }
    const [c1, c2, c3] = orderedCandidates(ethers, 3) as [string, string, string];
    return { sky, chief, deployer, alice, bob, carol, c1, c2, c3 };
  }

  /** Gives `c` more approvals than anything else by locking `wad` for `voter` and voting for it. */
  async function backCandidate(
    fixture: Awaited<ReturnType<typeof deployChief>>,
    voter: number,
    c: string,
    wad: bigint,
  ) {
    const signer = [fixture.alice, fixture.bob, fixture.carol][voter]!;
    await fixture.chief.connect(signer).lock(wad);
    await fixture.chief.connect(signer)["vote(address[])"]([c]);
  }

  describe("deployment and getters", function () {
    it("exposes gov, GOV, maxYays, MAX_YAYS, launchThreshold, liftCooldown and empty state", async function () {
      const { sky, chief } = await networkHelpers.loadFixture(deployChief);
      expect(await chief.gov()).to.equal(await sky.getAddress());
      expect(await chief.GOV()).to.equal(await sky.getAddress());
      expect(await chief.maxYays()).to.equal(BigInt(MAX_YAYS));
      expect(await chief.MAX_YAYS()).to.equal(BigInt(MAX_YAYS));
      expect(await chief.launchThreshold()).to.equal(LAUNCH_THRESHOLD);
      expect(await chief.liftCooldown()).to.equal(BigInt(LIFT_COOLDOWN));
      expect(await chief.live()).to.equal(0n);
      expect(await chief.hat()).to.equal(ethers.ZeroAddress);
      expect(await chief.last()).to.equal(0n);
      expect(await chief.EMPTY_SLATE()).to.equal(ethers.keccak256("0x"));
    });

    it("has no IOU() getter, which is how a vote proxy tells it from DSChief", async function () {
      const { chief } = await networkHelpers.loadFixture(deployChief);
      const call = (signature: string) =>
        ethers.provider.call({ to: chief.getAddress(), data: ethers.id(signature).slice(0, 10) }).then(
          () => "returned",
          () => "reverted",
        );
      expect(await call("IOU()")).to.equal("reverted");
      expect(await call("gov()")).to.equal("returned");
    });
  });

  describe("lock and free", function () {
    it("lock moves SKY with transferFrom and emits Lock(usr, wad)", async function () {
      const { sky, chief, alice } = await networkHelpers.loadFixture(deployChief);
      await expect(chief.connect(alice).lock(6n * WAD))
        .to.emit(chief, "Lock")
        .withArgs(alice.address, 6n * WAD);
      expect(await sky.balanceOf(await chief.getAddress())).to.equal(6n * WAD);
      expect(await chief.deposits(alice.address)).to.equal(6n * WAD);
    });

    it("lock without an allowance fails inside the token", async function () {
      const { sky, chief, alice } = await networkHelpers.loadFixture(deployChief);
      await sky.connect(alice).approve(await chief.getAddress(), WAD - 1n);
      await expect(chief.connect(alice).lock(WAD)).to.be.revertedWith("Sky/insufficient-allowance");
    });

    it("free returns SKY with transfer, emits Free and cannot exceed the deposit", async function () {
      const { sky, chief, alice } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(6n * WAD);
      await expect(chief.connect(alice).free(2n * WAD))
        .to.emit(chief, "Free")
        .withArgs(alice.address, 2n * WAD);
      expect(await sky.balanceOf(alice.address)).to.equal(9_996n * WAD);
      await expect(chief.connect(alice).free(4n * WAD + 1n)).to.be.revertedWithPanic(0x11);
    });

    it("unlike DSChief, lets a voter lock and free in the same block when no lift happened in it", async function () {
      const { chief, alice } = await networkHelpers.loadFixture(deployChief);
      await networkHelpers.mine();
      const [lock, free] = await inOneBlock(ethers, [
        () => chief.connect(alice).lock(WAD, { gasLimit: FIXED_GAS }),
        () => chief.connect(alice).free(WAD, { gasLimit: FIXED_GAS }),
      ]);
      expect(lock!.status).to.equal(1);
      expect(free!.status).to.equal(1);
    });

    it("refuses every free in the block of a lift, and allows it in the next block", async function () {
      const fixture = await networkHelpers.loadFixture(deployChief);
      const { chief, alice, bob, c1 } = fixture;
      await backCandidate(fixture, 0, c1, 5n * WAD);
      await chief.connect(bob).lock(WAD);
      const [lift, free] = await inOneBlock(ethers, [
        () => chief.lift(c1, { gasLimit: FIXED_GAS }),
        () => chief.connect(bob).free(WAD, { gasLimit: FIXED_GAS }),
      ]);
      expect(lift!.status).to.equal(1);
      expect(free!.status).to.equal(0);
      expect(await chief.last()).to.equal(BigInt(lift!.blockNumber));
      await chief.connect(bob).free(WAD);
      await chief.connect(alice).free(5n * WAD);
    });

    it("the free refusal carries the reason Chief/cant-free-same-block", async function () {
      const fixture = await networkHelpers.loadFixture(deployChief);
      const { chief, alice, c1 } = fixture;
      await backCandidate(fixture, 0, c1, 5n * WAD);
      await chief.lift(c1);
      // eth_call runs on a pending block (last + 1); pin the block to the lift's to see the reason.
      const last = await chief.last();
      await expect(chief.connect(alice).free.staticCall(1n, { blockTag: Number(last) })).to.be.revertedWith(
        "Chief/cant-free-same-block",
      );
    });
  });

  describe("etch and vote", function () {
    it("etches byte-ordered slates, emits Etch(slate, yays) and reports length(slate)", async function () {
      const { chief, c1, c2, c3 } = await networkHelpers.loadFixture(deployChief);
      const yays = [c1, c2, c3];
      const slate = slateOf(ethers, yays);
      await expect(chief.etch(yays)).to.emit(chief, "Etch").withArgs(slate, yays);
      expect(await chief.length(slate)).to.equal(3n);
      expect(await chief.slates(slate, 1)).to.equal(c2);
    });

    it("refuses unordered slates and duplicates with Chief/yays-not-ordered", async function () {
      const { chief, c1, c2 } = await networkHelpers.loadFixture(deployChief);
      await expect(chief.etch([c2, c1])).to.be.revertedWith("Chief/yays-not-ordered");
      await expect(chief.etch([c1, c1])).to.be.revertedWith("Chief/yays-not-ordered");
    });

    for (const size of [MAX_YAYS - 1, MAX_YAYS, MAX_YAYS + 1]) {
      it(`${size <= MAX_YAYS ? "accepts" : "refuses"} a slate of ${size} yays (maxYays = ${MAX_YAYS})`, async function () {
        const { chief } = await networkHelpers.loadFixture(deployChief);
        const yays = orderedCandidates(ethers, size);
        if (size <= MAX_YAYS) {
          await expect(chief.etch(yays)).to.emit(chief, "Etch");
          expect(await chief.length(slateOf(ethers, yays))).to.equal(BigInt(size));
        } else {
          await expect(chief.etch(yays)).to.be.revertedWith("Chief/greater-max-yays");
        }
      });
    }

    it("votes move the whole deposit between slates and emit Vote(usr, slate)", async function () {
      const { chief, alice, c1, c2, c3 } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(4n * WAD);
      const first = slateOf(ethers, [c1, c2]);
      await expect(chief.connect(alice)["vote(address[])"]([c1, c2]))
        .to.emit(chief, "Vote")
        .withArgs(alice.address, first);
      await chief.connect(alice)["vote(address[])"]([c3]);
      expect(await chief.approvals(c1)).to.equal(0n);
      expect(await chief.approvals(c3)).to.equal(4n * WAD);
      expect(await chief.votes(alice.address)).to.equal(slateOf(ethers, [c3]));
    });

    it("vote(bytes32) needs an etched slate or EMPTY_SLATE", async function () {
      const { chief, alice, c1 } = await networkHelpers.loadFixture(deployChief);
      await chief.connect(alice).lock(4n * WAD);
      const slate = slateOf(ethers, [c1]);
      await expect(chief.connect(alice)["vote(bytes32)"](slate)).to.be.revertedWith("Chief/invalid-slate");
      await chief.etch([c1]);
      await chief.connect(alice)["vote(bytes32)"](slate);
      expect(await chief.approvals(c1)).to.equal(4n * WAD);
      await chief.connect(alice)["vote(bytes32)"](await chief.EMPTY_SLATE());
      expect(await chief.approvals(c1)).to.equal(0n);
    });
  });

  describe("lift, cooldown and launch", function () {
    it("lift needs strictly more approvals than the hat, sets last and emits Lift", async function () {
      const fixture = await networkHelpers.loadFixture(deployChief);
      const { chief, c1, c2 } = fixture;
      await backCandidate(fixture, 0, c1, 5n * WAD);
      await backCandidate(fixture, 1, c2, 5n * WAD);
      await expect(chief.lift(c1)).to.emit(chief, "Lift").withArgs(c1);
      expect(await chief.hat()).to.equal(c1);
      const lifted = BigInt(await ethers.provider.getBlockNumber());
      expect(await chief.last()).to.equal(lifted);
      await networkHelpers.mine(LIFT_COOLDOWN);
      await expect(chief.lift(c2)).to.be.revertedWith("Chief/not-higher-current-hat");
    });

    // last + cooldown - 1, last + cooldown, last + cooldown + 1: only the last is allowed.
    for (const offset of [LIFT_COOLDOWN - 1, LIFT_COOLDOWN, LIFT_COOLDOWN + 1]) {
      it(`${offset > LIFT_COOLDOWN ? "allows" : "refuses"} a new lift at last + ${offset} (liftCooldown = ${LIFT_COOLDOWN})`, async function () {
        const fixture = await networkHelpers.loadFixture(deployChief);
        const { chief, c1, c2 } = fixture;
        await backCandidate(fixture, 0, c1, 5n * WAD);
        await backCandidate(fixture, 1, c2, 6n * WAD);
        await chief.lift(c1);
        const last = Number(await chief.last());
        // The lift transaction will be mined in block last + offset.
        await networkHelpers.mineUpTo(last + offset - 1);
        if (offset > LIFT_COOLDOWN) {
          await chief.lift(c2);
          expect(await chief.hat()).to.equal(c2);
          expect(await chief.last()).to.equal(BigInt(last + offset));
        } else {
          await expect(chief.lift(c2)).to.be.revertedWith("Chief/cant-lift-again-yet");
        }
      });
    }

    it("allows further lifts inside the block of the last lift", async function () {
      const fixture = await networkHelpers.loadFixture(deployChief);
      const { chief, c1, c2 } = fixture;
      await backCandidate(fixture, 0, c1, 5n * WAD);
      await backCandidate(fixture, 1, c2, 6n * WAD);
      const [first, second] = await inOneBlock(ethers, [
        () => chief.lift(c1, { gasLimit: FIXED_GAS }),
        () => chief.lift(c2, { gasLimit: FIXED_GAS }),
      ]);
      expect(first!.status).to.equal(1);
      expect(second!.status).to.equal(1);
      expect(await chief.hat()).to.equal(c2);
    });

    it("launch needs launchThreshold behind address(0) and no hat, sets last and happens once", async function () {
      const fixture = await networkHelpers.loadFixture(deployChief);
      const { chief, alice, c1 } = fixture;
      await backCandidate(fixture, 0, c1, LAUNCH_THRESHOLD);
      await chief.lift(c1);
      await expect(chief.launch()).to.be.revertedWith("Chief/not-address-zero");
      await networkHelpers.mine(LIFT_COOLDOWN);
      await chief.connect(alice)["vote(address[])"]([ethers.ZeroAddress]);
      await chief.connect(alice).free(1n);
      await chief.lift(ethers.ZeroAddress);
      await expect(chief.launch()).to.be.revertedWith("Chief/less-than-threshold");
      await chief.connect(alice).lock(1n);
      await expect(chief.launch()).to.emit(chief, "Launch");
      expect(await chief.live()).to.equal(1n);
      expect(await chief.last()).to.equal(BigInt(await ethers.provider.getBlockNumber()));
      await expect(chief.launch()).to.be.revertedWith("Chief/already-live");
    });

    it("canCall answers true only for the hat, and only once live", async function () {
      const fixture = await networkHelpers.loadFixture(deployChief);
      const { chief, alice, bob, c1 } = fixture;
      const sig = "0xdeadbeef";
      await backCandidate(fixture, 0, ethers.ZeroAddress, LAUNCH_THRESHOLD);
      expect(await chief.canCall(ethers.ZeroAddress, bob.address, sig)).to.equal(false);
      await chief.launch();
      await chief.connect(alice)["vote(address[])"]([c1]);
      await networkHelpers.mine(LIFT_COOLDOWN);
      await chief.lift(c1);
      expect(await chief.canCall(c1, bob.address, sig)).to.equal(true);
      expect(await chief.canCall(bob.address, bob.address, sig)).to.equal(false);
    });
  });
});
