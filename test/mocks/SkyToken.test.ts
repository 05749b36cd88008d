import { expect } from "chai";
import { network } from "hardhat";
import { fourSigners } from "./helpers.js";

const { ethers, networkHelpers } = await network.create();
const MAX = ethers.MaxUint256;
const WAD = 10n ** 18n;

describe("SkyToken (local SKY double)", function () {
  async function deploySky() {
    const [ward, alice, bob, carol] = await fourSigners(ethers);
    const sky = await ethers.deployContract("SkyToken");
    await sky.mint(alice.address, 100n * WAD);
    return { sky, ward, alice, bob, carol };
  }

  it("is an 18-decimal ERC-20 named SKY whose deployer is a ward", async function () {
    const { sky, ward } = await networkHelpers.loadFixture(deploySky);
    expect(await sky.name()).to.equal("SKY");
    expect(await sky.symbol()).to.equal("SKY");
    expect(await sky.decimals()).to.equal(18n);
    expect(await sky.wards(ward.address)).to.equal(1n);
    expect(await sky.totalSupply()).to.equal(100n * WAD);
  });

  it("mints only for wards, emitting Transfer from address(0)", async function () {
    const { sky, alice, bob } = await networkHelpers.loadFixture(deploySky);
    await expect(sky.mint(bob.address, 5n))
      .to.emit(sky, "Transfer")
      .withArgs(ethers.ZeroAddress, bob.address, 5n);
    await expect(sky.connect(alice).mint(alice.address, 1n)).to.be.revertedWith("Sky/not-authorized");
    await expect(sky.rely(alice.address)).to.emit(sky, "Rely").withArgs(alice.address);
    await sky.connect(alice).mint(alice.address, 1n);
    await expect(sky.deny(alice.address)).to.emit(sky, "Deny").withArgs(alice.address);
    await expect(sky.connect(alice).mint(alice.address, 1n)).to.be.revertedWith("Sky/not-authorized");
  });

  it("refuses transfers and mints to address(0) or to the token itself", async function () {
    const { sky, alice } = await networkHelpers.loadFixture(deploySky);
    const self = await sky.getAddress();
    await expect(sky.connect(alice).transfer(ethers.ZeroAddress, 1n)).to.be.revertedWith(
      "Sky/invalid-address",
    );
    await expect(sky.connect(alice).transfer(self, 1n)).to.be.revertedWith("Sky/invalid-address");
    await expect(sky.connect(alice).transferFrom(alice.address, self, 1n)).to.be.revertedWith(
      "Sky/invalid-address",
    );
    await expect(sky.mint(ethers.ZeroAddress, 1n)).to.be.revertedWith("Sky/invalid-address");
  });

  it("reverts with Sky/insufficient-balance before looking at the allowance", async function () {
    const { sky, alice, bob } = await networkHelpers.loadFixture(deploySky);
    await expect(sky.connect(alice).transfer(bob.address, 100n * WAD + 1n)).to.be.revertedWith(
      "Sky/insufficient-balance",
    );
    await expect(
      sky.connect(bob).transferFrom(alice.address, bob.address, 100n * WAD + 1n),
    ).to.be.revertedWith("Sky/insufficient-balance");
  });

  it("spends a finite allowance, refuses more, and never decrements the maximum", async function () {
    const { sky, alice, bob, carol } = await networkHelpers.loadFixture(deploySky);
    await expect(sky.connect(alice).approve(bob.address, 3n))
      .to.emit(sky, "Approval")
      .withArgs(alice.address, bob.address, 3n);
    await expect(sky.connect(bob).transferFrom(alice.address, carol.address, 4n)).to.be.revertedWith(
      "Sky/insufficient-allowance",
    );
    await sky.connect(bob).transferFrom(alice.address, carol.address, 3n);
    expect(await sky.allowance(alice.address, bob.address)).to.equal(0n);
    await sky.connect(alice).approve(bob.address, MAX);
    await sky.connect(bob).transferFrom(alice.address, carol.address, 10n);
    expect(await sky.allowance(alice.address, bob.address)).to.equal(MAX);
    expect(await sky.balanceOf(carol.address)).to.equal(13n);
  });

  it("lets the holder use transferFrom on itself without allowance", async function () {
    const { sky, alice, bob } = await networkHelpers.loadFixture(deploySky);
    await sky.connect(alice).transferFrom(alice.address, bob.address, 2n);
    expect(await sky.balanceOf(bob.address)).to.equal(2n);
  });

  it("burns the caller's own balance or another's through its allowance", async function () {
    const { sky, alice, bob } = await networkHelpers.loadFixture(deploySky);
    await expect(sky.connect(alice).burn(alice.address, WAD))
      .to.emit(sky, "Transfer")
      .withArgs(alice.address, ethers.ZeroAddress, WAD);
    await expect(sky.connect(bob).burn(alice.address, 1n)).to.be.revertedWith("Sky/insufficient-allowance");
    await sky.connect(alice).approve(bob.address, 5n);
    await sky.connect(bob).burn(alice.address, 5n);
    expect(await sky.totalSupply()).to.equal(99n * WAD - 5n);
    await expect(sky.connect(bob).burn(bob.address, 1n)).to.be.revertedWith("Sky/insufficient-balance");
  });
});
