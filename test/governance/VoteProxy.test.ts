// Behaviour of a vote proxy clone: every function by every caller, on both chief families.
import { expect } from "chai";
import { network } from "hardhat";
import {
  FAMILIES,
  FIXED_GAS,
  FUNDED,
  MAX_YAYS,
  WAD,
  candidate,
  candidates,
  deployWorld,
  expectNoStandingApprovals,
  impersonate,
  inOneBlock,
  read,
  slateOf,
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

/** A world whose proxy has locked `locked` and been left a block, so it may free. */
async function lockedWorld(family: Family, locked = 60n * WAD): Promise<World> {
  const world = await networkHelpers.loadFixture(fixtures[family]);
  await world.proxy.connect(world.actors.hot).lock(locked);
  await networkHelpers.mine();
  return world;
}

for (const family of FAMILIES) {
  describe(`VoteProxy on ${family}`, function () {
    const load = async () => networkHelpers.loadFixture(fixtures[family]);
    const chiefRevert = (dsReason: string | null, skyReason: string) =>
      family === "DSChief" && dsReason === null ? null : family === "DSChief" ? dsReason : skyReason;

    async function expectChiefRevert(
      promise: Promise<unknown>,
      world: World,
      dsReason: string | null,
      skyReason: string,
    ): Promise<void> {
      const reason = chiefRevert(dsReason, skyReason);
      if (reason === null) await expect(promise).to.be.revertedWithoutReason(ethers);
      else await expect(promise).to.be.revertedWith(reason);
      await expectNoStandingApprovals(world);
    }

    describe("views", function () {
      it("reports cold, hot, chief, gov and iou on a clone", async function () {
        const world = await load();
        const { proxy, actors, chief, gov, iou } = world;
        expect(await proxy.cold()).to.equal(actors.cold.address);
        expect(await proxy.hot()).to.equal(actors.hot.address);
        expect(await proxy.chief()).to.equal(await chief.getAddress());
        expect(await proxy.gov()).to.equal(await gov.getAddress());
        expect(await proxy.iou()).to.equal(iou === null ? ethers.ZeroAddress : await iou.getAddress());
        expect(await proxy.customerId()).to.equal(world.customerId);
      });

      it("refuses cold, hot and customerId on the implementation, which has no customer", async function () {
        const { implementation } = await load();
        await expect(implementation.customerId()).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
        await expect(implementation.cold()).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
        await expect(implementation.hot()).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
      });

      it("exposes the chief's addresses on the implementation too (they are its immutables)", async function () {
        const { implementation, proxy } = await load();
        expect(await implementation.chief()).to.equal(await proxy.chief());
        expect(await implementation.gov()).to.equal(await proxy.gov());
        expect(await implementation.iou()).to.equal(await proxy.iou());
      });
    });

    describe("deposits", function () {
      it("are plain transfers: cold never approves or calls the proxy", async function () {
        const world = await load();
        const { gov, proxy, actors } = world;
        expect(await gov.balanceOf(proxy)).to.equal(FUNDED);
        expect(await gov.allowance(actors.cold, proxy)).to.equal(0n);
        expect(await ethers.provider.getTransactionCount(actors.cold)).to.equal(0);
        await gov.connect(actors.depositor).transfer(proxy, 5n);
        expect(await gov.balanceOf(proxy)).to.equal(FUNDED + 5n);
      });

      it("refuses plain ETH and ETH sent with a call", async function () {
        const { proxy, actors } = await load();
        await expect(actors.stranger.sendTransaction({ to: proxy, value: 1n })).to.be.revertedWithoutReason(
          ethers,
        );
        await expect(
          actors.hot.sendTransaction({
            to: proxy,
            value: 1n,
            data: proxy.interface.encodeFunctionData("lock", [1n]),
          }),
        ).to.be.revertedWithoutReason(ethers);
        expect(await ethers.provider.getBalance(proxy)).to.equal(0n);
      });
    });

    describe("lock", function () {
      for (const role of ["hot", "cold"] as const) {
        it(`locks the proxy's own tokens when ${role} calls, with exact and revoked approval`, async function () {
          const world = await load();
          const { proxy, actors, chief, iou } = world;
          const caller = actors[role];
          const wad = 40n * WAD;
          await expect(proxy.connect(caller).lock(wad)).to.emit(proxy, "Locked").withArgs(wad);
          const r = await read(world);
          expect(r.proxyGov).to.equal(FUNDED - wad);
          expect(r.deposits).to.equal(wad);
          expect(r.chiefGov).to.equal(wad);
          expect(r.coldGov).to.equal(0n);
          expect(r.proxyIou).to.equal(iou === null ? 0n : wad);
          await expectNoStandingApprovals(world);
          if (iou !== null) expect(await iou.totalSupply()).to.equal(wad);
          expect(await chief.deposits(caller)).to.equal(0n);
        });
      }

      it("adds locked weight to the candidates of the proxy's current vote", async function () {
        const world = await load();
        const { proxy, actors, chief } = world;
        const yays = candidates(ethers, 2);
        await proxy.connect(actors.hot)["vote(address[])"](yays);
        await proxy.connect(actors.hot).lock(7n);
        for (const yay of yays) expect(await chief.approvals(yay)).to.equal(7n);
      });

      const boundaries: ReadonlyArray<[string, bigint]> = [
        ["balance - 1", FUNDED - 1n],
        ["the whole balance", FUNDED],
      ];
      for (const [name, wad] of boundaries) {
        it(`locks ${name}`, async function () {
          const world = await load();
          await world.proxy.connect(world.actors.hot).lock(wad);
          const r = await read(world);
          expect(r.deposits).to.equal(wad);
          expect(r.proxyGov).to.equal(FUNDED - wad);
          await expectNoStandingApprovals(world);
        });
      }

      it("refuses balance + 1 with the requested and available amounts", async function () {
        const world = await load();
        const { proxy, actors } = world;
        await expect(proxy.connect(actors.hot).lock(FUNDED + 1n))
          .to.be.revertedWithCustomError(proxy, "VoteProxyInsufficientBalance")
          .withArgs(FUNDED + 1n, FUNDED);
        expect((await read(world)).deposits).to.equal(0n);
      });

      it("refuses zero, which would only move the chief's block guard", async function () {
        const { proxy, actors } = await load();
        await expect(proxy.connect(actors.hot).lock(0n)).to.be.revertedWithCustomError(
          proxy,
          "VoteProxyZeroAmount",
        );
      });

      it("refuses a stranger, the factory and the implementation", async function () {
        const world = await load();
        const { proxy, actors, factory, implementation } = world;
        await expect(proxy.connect(actors.stranger).lock(1n))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(actors.stranger.address);
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner).lock(1n))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(implementation.connect(actors.hot).lock(1n)).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
        expect((await read(world)).deposits).to.equal(0n);
      });
    });

    describe("free", function () {
      for (const role of ["hot", "cold"] as const) {
        it(`frees to cold when ${role} calls and leaves the proxy's balance alone`, async function () {
          const world = await lockedWorld(family);
          const { proxy, actors, iou } = world;
          const caller = actors[role];
          await expect(proxy.connect(caller).free(25n * WAD))
            .to.emit(proxy, "Freed")
            .withArgs(25n * WAD);
          const r = await read(world);
          expect(r.deposits).to.equal(35n * WAD);
          expect(r.chiefGov).to.equal(35n * WAD);
          expect(r.coldGov).to.equal(25n * WAD);
          expect(r.proxyGov).to.equal(40n * WAD);
          expect(r.proxyIou).to.equal(iou === null ? 0n : 35n * WAD);
          expect(await world.gov.balanceOf(caller)).to.equal(role === "cold" ? 25n * WAD : 0n);
          await expectNoStandingApprovals(world);
        });
      }

      const boundaries: ReadonlyArray<[string, bigint]> = [
        ["deposit - 1", 60n * WAD - 1n],
        ["the whole deposit", 60n * WAD],
      ];
      for (const [name, wad] of boundaries) {
        it(`frees ${name}`, async function () {
          const world = await lockedWorld(family);
          await world.proxy.connect(world.actors.hot).free(wad);
          const r = await read(world);
          expect(r.deposits).to.equal(60n * WAD - wad);
          expect(r.coldGov).to.equal(wad);
          await expectNoStandingApprovals(world);
        });
      }

      it("refuses deposit + 1 with the requested and deposited amounts", async function () {
        const world = await lockedWorld(family);
        const { proxy, actors } = world;
        await expect(proxy.connect(actors.hot).free(60n * WAD + 1n))
          .to.be.revertedWithCustomError(proxy, "VoteProxyInsufficientDeposit")
          .withArgs(60n * WAD + 1n, 60n * WAD);
      });

      it("refuses zero", async function () {
        const world = await lockedWorld(family);
        await expect(world.proxy.connect(world.actors.cold).free(0n)).to.be.revertedWithCustomError(
          world.proxy,
          "VoteProxyZeroAmount",
        );
      });

      it("refuses a stranger, the factory and the implementation", async function () {
        const world = await lockedWorld(family);
        const { proxy, actors, factory, implementation } = world;
        await expect(proxy.connect(actors.stranger).free(1n))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(actors.stranger.address);
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner).free(1n))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(implementation.connect(actors.hot).free(1n)).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
        expect((await read(world)).deposits).to.equal(60n * WAD);
      });

      if (family === "DSChief") {
        it("is refused by DSChief v1.2 in the block of the proxy's lock, and works one block later", async function () {
          const world = await load();
          const { proxy, actors } = world;
          const [lock, free] = await inOneBlock(ethers, [
            async () => proxy.connect(actors.hot).lock(10n, { gasLimit: FIXED_GAS }),
            async () => proxy.connect(actors.cold).free(10n, { gasLimit: FIXED_GAS }),
          ]);
          expect(lock.status).to.equal(1);
          expect(free.status).to.equal(0);
          expect((await read(world)).deposits).to.equal(10n);
          await proxy.connect(actors.cold).free(10n);
          const r = await read(world);
          expect(r.deposits).to.equal(0n);
          expect(r.coldGov).to.equal(10n);
          await expectNoStandingApprovals(world);
        });
      } else {
        it("is refused by Sky's chief in the block of the last lift, and works one block later", async function () {
          const world = await lockedWorld(family);
          const { proxy, actors, chief } = world;
          const yay = candidate(ethers, 0);
          await proxy.connect(actors.hot)["vote(address[])"]([yay]);
          await networkHelpers.mine(5);
          const [lift, free] = await inOneBlock(ethers, [
            async () => chief.connect(actors.stranger).lift(yay, { gasLimit: FIXED_GAS }),
            async () => proxy.connect(actors.hot).free(10n, { gasLimit: FIXED_GAS }),
          ]);
          expect(lift.status).to.equal(1);
          expect(free.status).to.equal(0);
          expect(await chief.hat()).to.equal(yay);
          await expect(proxy.connect(actors.hot).free(10n)).to.emit(proxy, "Freed").withArgs(10n);
          expect((await read(world)).coldGov).to.equal(10n);
        });

        it("bubbles Sky's same-block refusal as the chief's reason", async function () {
          const world = await lockedWorld(family);
          const { proxy, actors, chief } = world;
          const yay = candidate(ethers, 0);
          await proxy.connect(actors.hot)["vote(address[])"]([yay]);
          await networkHelpers.mine(5);
          await ethers.provider.send("evm_setAutomine", [false]);
          try {
            await chief.connect(actors.stranger).lift(yay, { gasLimit: FIXED_GAS });
            // eth_call against the pending block sees the lift that is waiting to be mined.
            await expect(
              proxy.connect(actors.hot).free.staticCall(1n, { blockTag: "pending" }),
            ).to.be.revertedWith("Chief/cant-free-same-block");
          } finally {
            await ethers.provider.send("evm_mine", []);
            await ethers.provider.send("evm_setAutomine", [true]);
          }
        });
      }
    });

    describe("freeAll", function () {
      for (const role of ["hot", "cold"] as const) {
        it(`sends locked and unlocked tokens to cold when ${role} calls`, async function () {
          const world = await lockedWorld(family);
          const { proxy, actors } = world;
          const caller = actors[role];
          expect(await proxy.connect(caller).freeAll.staticCall()).to.equal(FUNDED);
          await expect(proxy.connect(caller).freeAll()).to.emit(proxy, "Freed").withArgs(FUNDED);
          const r = await read(world);
          expect(r).to.deep.include({
            proxyGov: 0n,
            deposits: 0n,
            chiefGov: 0n,
            coldGov: FUNDED,
            proxyIou: 0n,
          });
          await expectNoStandingApprovals(world);
        });
      }

      it("sends an unlocked-only balance without touching the chief", async function () {
        const world = await load();
        const { proxy, actors } = world;
        await expect(proxy.connect(actors.hot).freeAll()).to.emit(proxy, "Freed").withArgs(FUNDED);
        expect(await read(world)).to.deep.include({ proxyGov: 0n, deposits: 0n, coldGov: FUNDED });
      });

      it("reports zero and moves nothing when the proxy is empty", async function () {
        const world = await load();
        const { proxy, actors } = world;
        await proxy.connect(actors.cold).freeAll();
        await expect(proxy.connect(actors.cold).freeAll())
          .to.emit(proxy, "Freed")
          .withArgs(0n)
          .and.not.to.emit(world.gov, "Transfer");
        expect((await read(world)).coldGov).to.equal(FUNDED);
      });

      it("refuses a stranger, the factory and the implementation", async function () {
        const world = await lockedWorld(family);
        const { proxy, actors, factory, implementation } = world;
        await expect(proxy.connect(actors.stranger).freeAll())
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(actors.stranger.address);
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner).freeAll())
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(implementation.connect(actors.cold).freeAll()).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
      });
    });

    describe("vote(address[])", function () {
      for (const role of ["hot", "cold"] as const) {
        it(`records the slate and moves the proxy's weight when ${role} calls`, async function () {
          const world = await lockedWorld(family);
          const { proxy, actors, chief } = world;
          const caller = actors[role];
          const yays = candidates(ethers, 3);
          const slate = slateOf(ethers, yays);
          expect(await proxy.connect(caller)["vote(address[])"].staticCall(yays)).to.equal(slate);
          await expectVoted(proxy.connect(caller)["vote(address[])"](yays), proxy, slate);
          expect(await chief.votes(proxy)).to.equal(slate);
          for (const yay of yays) expect(await chief.approvals(yay)).to.equal(60n * WAD);
          const others = candidates(ethers, 2, 0x2000);
          await proxy.connect(caller)["vote(address[])"](others);
          for (const yay of yays) expect(await chief.approvals(yay)).to.equal(0n);
          for (const yay of others) expect(await chief.approvals(yay)).to.equal(60n * WAD);
          await expectNoStandingApprovals(world);
          expect((await read(world)).deposits).to.equal(60n * WAD);
        });
      }

      for (const count of [MAX_YAYS - 1, MAX_YAYS]) {
        it(`accepts ${count} candidates (MAX_YAYS = ${MAX_YAYS})`, async function () {
          const world = await lockedWorld(family);
          const yays = candidates(ethers, count);
          await world.proxy.connect(world.actors.hot)["vote(address[])"](yays);
          expect(await world.chief.votes(world.proxy)).to.equal(slateOf(ethers, yays));
          for (const yay of yays) expect(await world.chief.approvals(yay)).to.equal(60n * WAD);
        });
      }

      it(`refuses MAX_YAYS + 1 candidates with the chief's own error`, async function () {
        const world = await lockedWorld(family);
        const yays = candidates(ethers, MAX_YAYS + 1);
        await expectChiefRevert(
          world.proxy.connect(world.actors.hot)["vote(address[])"](yays),
          world,
          null,
          "Chief/greater-max-yays",
        );
        expect(await world.chief.votes(world.proxy)).to.equal(ethers.ZeroHash);
      });

      it("refuses candidates that are not strictly ascending", async function () {
        const world = await lockedWorld(family);
        const a = candidate(ethers, 0);
        const b = candidate(ethers, 1);
        await expectChiefRevert(
          world.proxy.connect(world.actors.hot)["vote(address[])"]([b, a]),
          world,
          null,
          "Chief/yays-not-ordered",
        );
        await expectChiefRevert(
          world.proxy.connect(world.actors.hot)["vote(address[])"]([a, a]),
          world,
          null,
          "Chief/yays-not-ordered",
        );
      });

      it("accepts the empty slate (abstain)", async function () {
        const world = await lockedWorld(family);
        await expectVoted(
          world.proxy.connect(world.actors.hot)["vote(address[])"]([]),
          world.proxy,
          ethers.keccak256("0x"),
        );
      });

      it("refuses a stranger, the factory and the implementation", async function () {
        const world = await lockedWorld(family);
        const { proxy, actors, factory, implementation } = world;
        const yays = candidates(ethers, 1);
        await expect(proxy.connect(actors.stranger)["vote(address[])"](yays))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(actors.stranger.address);
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner)["vote(address[])"](yays))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(
          implementation.connect(actors.hot)["vote(address[])"](yays),
        ).to.be.revertedWithCustomError(implementation, "VoteProxyImplementationLocked");
        expect(await world.chief.votes(proxy)).to.equal(ethers.ZeroHash);
      });
    });

    describe("vote(bytes32)", function () {
      for (const role of ["hot", "cold"] as const) {
        it(`votes an existing slate when ${role} calls`, async function () {
          const world = await lockedWorld(family);
          const { proxy, actors, chief } = world;
          const yays = candidates(ethers, 2);
          await chief.connect(actors.stranger).etch(yays);
          const slate = slateOf(ethers, yays);
          const caller = actors[role];
          await expectVoted(proxy.connect(caller)["vote(bytes32)"](slate), proxy, slate);
          expect(await chief.votes(proxy)).to.equal(slate);
          for (const yay of yays) expect(await chief.approvals(yay)).to.equal(60n * WAD);
          await expectNoStandingApprovals(world);
        });
      }

      it("refuses a slate the chief has never etched", async function () {
        const world = await lockedWorld(family);
        await expectChiefRevert(
          world.proxy.connect(world.actors.hot)["vote(bytes32)"](ethers.id("nobody etched this")),
          world,
          "ds-chief-invalid-slate",
          "Chief/invalid-slate",
        );
      });

      it("refuses a stranger, the factory and the implementation", async function () {
        const world = await lockedWorld(family);
        const { proxy, actors, factory, implementation } = world;
        const slate = ethers.keccak256("0x");
        await expect(proxy.connect(actors.stranger)["vote(bytes32)"](slate))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(actors.stranger.address);
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner)["vote(bytes32)"](slate))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(
          implementation.connect(actors.hot)["vote(bytes32)"](slate),
        ).to.be.revertedWithCustomError(implementation, "VoteProxyImplementationLocked");
      });
    });

    describe("rotateHot", function () {
      it("lets cold replace hot: the old key loses every power, the new one gains them", async function () {
        const world = await load();
        const { proxy, actors } = world;
        await expect(proxy.connect(actors.cold).rotateHot(actors.newHot))
          .to.emit(proxy, "HotRotated")
          .withArgs(actors.hot.address, actors.newHot.address);
        expect(await proxy.hot()).to.equal(actors.newHot.address);
        expect(await proxy.cold()).to.equal(actors.cold.address);
        await expect(proxy.connect(actors.hot).lock(1n))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(actors.hot.address);
        await expect(proxy.connect(actors.newHot).lock(1n)).to.emit(proxy, "Locked").withArgs(1n);
      });

      it("refuses the zero address and the current hot key (before and after a rotation)", async function () {
        const { proxy, actors } = await load();
        await expect(proxy.connect(actors.cold).rotateHot(ethers.ZeroAddress))
          .to.be.revertedWithCustomError(proxy, "VoteProxyInvalidHot")
          .withArgs(ethers.ZeroAddress);
        await expect(proxy.connect(actors.cold).rotateHot(actors.hot))
          .to.be.revertedWithCustomError(proxy, "VoteProxyInvalidHot")
          .withArgs(actors.hot.address);
        await proxy.connect(actors.cold).rotateHot(actors.newHot);
        await expect(proxy.connect(actors.cold).rotateHot(actors.newHot))
          .to.be.revertedWithCustomError(proxy, "VoteProxyInvalidHot")
          .withArgs(actors.newHot.address);
        expect(await proxy.hot()).to.equal(actors.newHot.address);
      });

      it("may rotate back to the initial hot key and to cold itself", async function () {
        const { proxy, actors } = await load();
        await proxy.connect(actors.cold).rotateHot(actors.newHot);
        await expect(proxy.connect(actors.cold).rotateHot(actors.hot))
          .to.emit(proxy, "HotRotated")
          .withArgs(actors.newHot.address, actors.hot.address);
        expect(await proxy.hot()).to.equal(actors.hot.address);
        await proxy.connect(actors.cold).rotateHot(actors.cold);
        expect(await proxy.hot()).to.equal(actors.cold.address);
        await expect(proxy.connect(actors.hot).freeAll())
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(actors.hot.address);
      });

      it("refuses hot, a stranger, the factory and the implementation", async function () {
        const world = await load();
        const { proxy, actors, factory, implementation } = world;
        for (const caller of [actors.hot, actors.stranger]) {
          await expect(proxy.connect(caller).rotateHot(caller))
            .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
            .withArgs(caller.address);
        }
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner).rotateHot(actors.newHot))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(
          implementation.connect(actors.cold).rotateHot(actors.newHot),
        ).to.be.revertedWithCustomError(implementation, "VoteProxyImplementationLocked");
        expect(await proxy.hot()).to.equal(actors.hot.address);
      });
    });

    describe("approveChiefIou", function () {
      it("was granted at origination and may be re-granted by anyone, only ever to the chief", async function () {
        const world = await load();
        const { proxy, actors, iou, chief } = world;
        await expectNoStandingApprovals(world);
        if (iou !== null) {
          await expect(proxy.connect(actors.stranger).approveChiefIou()).to.emit(proxy, "ChiefIouApproved");
        } else {
          // Sky's chief has no IOU: nothing to grant, nothing to announce.
          await expect(proxy.connect(actors.stranger).approveChiefIou()).to.not.emit(
            proxy,
            "ChiefIouApproved",
          );
        }
        await expectNoStandingApprovals(world);
        if (iou !== null) {
          expect(await iou.allowance(proxy, chief)).to.equal(2n ** 256n - 1n);
          expect(await iou.allowance(proxy, actors.stranger)).to.equal(0n);
        }
      });

      it("is refused on the implementation", async function () {
        const { implementation, actors } = await load();
        await expect(implementation.connect(actors.stranger).approveChiefIou()).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
      });
    });

    describe("rescue", function () {
      it("sends another token's whole balance to cold", async function () {
        const world = await load();
        const { proxy, actors } = world;
        const other = await ethers.deployContract("SkyToken");
        await other.mint(proxy, 77n);
        expect(await proxy.connect(actors.cold).rescue.staticCall(other)).to.equal(77n);
        await expect(proxy.connect(actors.cold).rescue(other))
          .to.emit(proxy, "Rescued")
          .withArgs(await other.getAddress(), 77n);
        expect(await other.balanceOf(actors.cold)).to.equal(77n);
        expect(await other.balanceOf(proxy)).to.equal(0n);
      });

      it("accepts a token whose transfer returns nothing", async function () {
        const { proxy, actors } = await load();
        for (const name of ["NoReturnToken", "OddToken"] as const) {
          const token =
            name === "NoReturnToken"
              ? await ethers.deployContract("NoReturnToken")
              : await ethers.deployContract("OddToken");
          await token.mint(proxy, 9n);
          if (name === "OddToken") await (await ethers.getContractAt("OddToken", token)).setMode(2);
          await expect(proxy.connect(actors.cold).rescue(token))
            .to.emit(proxy, "Rescued")
            .withArgs(await token.getAddress(), 9n);
          expect(await token.balanceOf(actors.cold)).to.equal(9n);
          expect(await token.balanceOf(proxy)).to.equal(0n);
        }
      });

      for (const [mode, name] of [
        [1, "returns false"],
        [3, "reverts"],
        [4, "returns 64 bytes"],
      ] as const) {
        it(`refuses a token whose transfer ${name}`, async function () {
          const { proxy, actors } = await load();
          const odd = await ethers.deployContract("OddToken");
          await odd.mint(proxy, 9n);
          await odd.setMode(mode);
          await expect(proxy.connect(actors.cold).rescue(odd))
            .to.be.revertedWithCustomError(proxy, "VoteProxyTransferFailed")
            .withArgs(await odd.getAddress(), 9n);
          expect(await odd.balanceOf(proxy)).to.equal(9n);
        });
      }

      it("rescues unlocked GOV to cold and leaves the deposit in the chief", async function () {
        const world = await load();
        const { proxy, actors, gov } = world;
        await proxy.connect(actors.hot).lock(30n * WAD);
        await expect(proxy.connect(actors.cold).rescue(gov))
          .to.emit(proxy, "Rescued")
          .withArgs(await gov.getAddress(), FUNDED - 30n * WAD);
        expect(await read(world)).to.deep.include({
          proxyGov: 0n,
          deposits: 30n * WAD,
          coldGov: FUNDED - 30n * WAD,
        });
      });

      it("reports zero for a token the proxy does not hold", async function () {
        const { proxy, actors } = await load();
        const other = await ethers.deployContract("SkyToken");
        await expect(proxy.connect(actors.cold).rescue(other))
          .to.emit(proxy, "Rescued")
          .withArgs(await other.getAddress(), 0n);
      });

      it("refuses the IOU token (or address zero on Sky) and addresses without code", async function () {
        const world = await load();
        const { proxy, actors, iou } = world;
        const iouAddress = iou === null ? ethers.ZeroAddress : await iou.getAddress();
        if (iou !== null) {
          await proxy.connect(actors.hot).lock(5n);
          expect(await iou.balanceOf(proxy)).to.equal(5n);
        }
        await expect(proxy.connect(actors.cold).rescue(iouAddress))
          .to.be.revertedWithCustomError(proxy, "VoteProxyNotRescuable")
          .withArgs(iouAddress);
        await expect(proxy.connect(actors.cold).rescue(actors.stranger))
          .to.be.revertedWithCustomError(proxy, "VoteProxyNotRescuable")
          .withArgs(actors.stranger.address);
        if (iou !== null) expect(await iou.balanceOf(proxy)).to.equal(5n);
      });

      it("refuses hot, a stranger, the factory and the implementation", async function () {
        const world = await load();
        const { proxy, actors, factory, implementation, gov } = world;
        for (const caller of [actors.hot, actors.stranger]) {
          await expect(proxy.connect(caller).rescue(gov))
            .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
            .withArgs(caller.address);
        }
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner).rescue(gov))
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(implementation.connect(actors.cold).rescue(gov)).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
        expect((await read(world)).proxyGov).to.equal(FUNDED);
      });
    });

    describe("rescueEth", function () {
      it("sends forced-in ETH to cold", async function () {
        const { proxy, actors } = await load();
        await ethers.deployContract("ForceSendEth", [await proxy.getAddress()], { value: 123n });
        expect(await ethers.provider.getBalance(proxy)).to.equal(123n);
        expect(await proxy.connect(actors.cold).rescueEth.staticCall()).to.equal(123n);
        const tx = proxy.connect(actors.cold).rescueEth();
        await expect(tx).to.emit(proxy, "EthRescued").withArgs(123n);
        await expect(tx).to.changeEtherBalances(ethers, [proxy, actors.cold], [-123n, 123n]);
      });

      it("reports zero when the proxy holds no ETH", async function () {
        const { proxy, actors } = await load();
        await expect(proxy.connect(actors.cold).rescueEth()).to.emit(proxy, "EthRescued").withArgs(0n);
      });

      it("reverts with the amount when cold refuses ETH, keeping the ETH in the proxy", async function () {
        const world = await load();
        const { factory, actors } = world;
        const coldContract = await ethers.deployContract("ContractCold", [], actors.cold);
        const coldAddress = await coldContract.getAddress();
        const customerId = customerIdFromLabel("contract-cold");
        await factory.createProxy(customerId, coldAddress, actors.hot);
        const proxy = await ethers.getContractAt(
          "VoteProxy",
          await factory.predictProxy(customerId, coldAddress, actors.hot),
        );
        await ethers.deployContract("ForceSendEth", [await proxy.getAddress()], { value: 50n });
        const call = proxy.interface.encodeFunctionData("rescueEth");
        await expect(coldContract.run(proxy, call))
          .to.be.revertedWithCustomError(proxy, "VoteProxyEthTransferFailed")
          .withArgs(50n);
        expect(await ethers.provider.getBalance(proxy)).to.equal(50n);
        await coldContract.setAcceptsEth(true);
        await coldContract.run(proxy, call);
        expect(await ethers.provider.getBalance(coldContract)).to.equal(50n);
        expect(await ethers.provider.getBalance(proxy)).to.equal(0n);
      });

      it("refuses hot, a stranger, the factory and the implementation", async function () {
        const world = await load();
        const { proxy, actors, factory, implementation } = world;
        await ethers.deployContract("ForceSendEth", [await proxy.getAddress()], { value: 5n });
        for (const caller of [actors.hot, actors.stranger]) {
          await expect(proxy.connect(caller).rescueEth())
            .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
            .withArgs(caller.address);
        }
        const factorySigner = await impersonate(ethers, await factory.getAddress());
        await expect(proxy.connect(factorySigner).rescueEth())
          .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
          .withArgs(await factory.getAddress());
        await expect(implementation.connect(actors.cold).rescueEth()).to.be.revertedWithCustomError(
          implementation,
          "VoteProxyImplementationLocked",
        );
        expect(await ethers.provider.getBalance(proxy)).to.equal(5n);
      });
    });
  });
}
