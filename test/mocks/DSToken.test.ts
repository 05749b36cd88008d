import { expect } from "chai";
import { network } from "hardhat";
import { fourSigners } from "./helpers.js";

const { ethers, networkHelpers } = await network.create();
const MAX = ethers.MaxUint256;
const WAD = 10n ** 18n;

describe("DSToken (local ds-token double)", function () {
  async function deployToken() {
    const [owner, alice, bob, carol] = await fourSigners(ethers);
    const token = await ethers.deployContract("DSToken", ["MKR"]);
    await token["mint(address,uint256)"](alice.address, 100n * WAD);
    return { token, owner, alice, bob, carol };
  }

  it("keeps ds-token's metadata: symbol from the constructor, 18 decimals, empty settable name", async function () {
    const { token, owner, alice } = await networkHelpers.loadFixture(deployToken);
    expect(await token.symbol()).to.equal("MKR");
    expect(await token.decimals()).to.equal(18n);
    expect(await token.name()).to.equal("");
    await token.setName("Maker");
    expect(await token.name()).to.equal("Maker");
    await expect(token.connect(alice).setName("x")).to.be.revertedWith("ds-auth-unauthorized");
    expect(await token.owner()).to.equal(owner.address);
  });

  it("approve(guy) grants the maximum allowance, approve(guy, wad) an exact one", async function () {
    const { token, alice, bob } = await networkHelpers.loadFixture(deployToken);
    await expect(token.connect(alice)["approve(address)"](bob.address))
      .to.emit(token, "Approval")
      .withArgs(alice.address, bob.address, MAX);
    expect(await token.allowance(alice.address, bob.address)).to.equal(MAX);
    await token.connect(alice)["approve(address,uint256)"](bob.address, 7n);
    expect(await token.allowance(alice.address, bob.address)).to.equal(7n);
  });

  it("decrements a finite allowance on transferFrom and refuses more than allowed", async function () {
    const { token, alice, bob, carol } = await networkHelpers.loadFixture(deployToken);
    await token.connect(alice)["approve(address,uint256)"](bob.address, 10n * WAD);
    await expect(token.connect(bob).transferFrom(alice.address, carol.address, 4n * WAD))
      .to.emit(token, "Transfer")
      .withArgs(alice.address, carol.address, 4n * WAD);
    expect(await token.allowance(alice.address, bob.address)).to.equal(6n * WAD);
    await expect(
      token.connect(bob).transferFrom(alice.address, carol.address, 6n * WAD + 1n),
    ).to.be.revertedWith("ds-token-insufficient-approval");
    await token.connect(bob).transferFrom(alice.address, carol.address, 6n * WAD);
    expect(await token.allowance(alice.address, bob.address)).to.equal(0n);
    expect(await token.balanceOf(carol.address)).to.equal(10n * WAD);
  });

  it("never decrements the maximum allowance", async function () {
    const { token, alice, bob, carol } = await networkHelpers.loadFixture(deployToken);
    await token.connect(alice)["approve(address)"](bob.address);
    await token.connect(bob).transferFrom(alice.address, carol.address, 30n * WAD);
    expect(await token.allowance(alice.address, bob.address)).to.equal(MAX);
  });

  it("lets a holder move its own tokens with transferFrom without any allowance", async function () {
    const { token, alice, carol } = await networkHelpers.loadFixture(deployToken);
    expect(await token.allowance(alice.address, alice.address)).to.equal(0n);
    await token.connect(alice).transferFrom(alice.address, carol.address, WAD);
    expect(await token.balanceOf(carol.address)).to.equal(WAD);
  });

  it("refuses to move more than the balance", async function () {
    const { token, alice, bob } = await networkHelpers.loadFixture(deployToken);
    await expect(token.connect(alice).transfer(bob.address, 100n * WAD + 1n)).to.be.revertedWith(
      "ds-token-insufficient-balance",
    );
    await expect(token.connect(bob).transfer(alice.address, 1n)).to.be.revertedWith(
      "ds-token-insufficient-balance",
    );
  });

  it("push sends from the caller, pull takes to the caller, move goes between third parties", async function () {
    const { token, alice, bob, carol } = await networkHelpers.loadFixture(deployToken);
    await token.connect(alice).push(bob.address, 5n);
    expect(await token.balanceOf(bob.address)).to.equal(5n);

    await expect(token.connect(carol).pull(alice.address, 3n)).to.be.revertedWith(
      "ds-token-insufficient-approval",
    );
    await token.connect(alice)["approve(address,uint256)"](carol.address, 3n);
    await token.connect(carol).pull(alice.address, 3n);
    expect(await token.balanceOf(carol.address)).to.equal(3n);

    await token.connect(bob)["approve(address)"](carol.address);
    await token.connect(carol).move(bob.address, alice.address, 5n);
    expect(await token.balanceOf(bob.address)).to.equal(0n);
  });

  it("mints only for an authorised caller and emits Mint, not Transfer", async function () {
    const { token, alice, bob } = await networkHelpers.loadFixture(deployToken);
    const supply = await token.totalSupply();
    await expect(token["mint(address,uint256)"](bob.address, 9n))
      .to.emit(token, "Mint")
      .withArgs(bob.address, 9n)
      .and.not.to.emit(token, "Transfer");
    expect(await token.totalSupply()).to.equal(supply + 9n);
    await expect(token["mint(address,uint256)"](bob.address, MAX)).to.be.revertedWith("ds-math-add-overflow");
    await expect(token.connect(alice)["mint(uint256)"](1n)).to.be.revertedWith("ds-auth-unauthorized");
    await expect(token.connect(alice)["mint(address,uint256)"](alice.address, 1n)).to.be.revertedWith(
      "ds-auth-unauthorized",
    );
  });

  it("burns from another address only with its allowance, unless that allowance is the maximum", async function () {
    const { token, owner, alice } = await networkHelpers.loadFixture(deployToken);
    await expect(token["burn(address,uint256)"](alice.address, 1n)).to.be.revertedWith(
      "ds-token-insufficient-approval",
    );
    await token.connect(alice)["approve(address,uint256)"](owner.address, 2n * WAD);
    await expect(token["burn(address,uint256)"](alice.address, 2n * WAD))
      .to.emit(token, "Burn")
      .withArgs(alice.address, 2n * WAD);
    expect(await token.allowance(alice.address, owner.address)).to.equal(0n);
    await token.connect(alice)["approve(address)"](owner.address);
    await token["burn(address,uint256)"](alice.address, 8n * WAD);
    expect(await token.allowance(alice.address, owner.address)).to.equal(MAX);
    expect(await token.balanceOf(alice.address)).to.equal(90n * WAD);
    expect(await token.totalSupply()).to.equal(90n * WAD);
  });

  it("burns the caller's own balance without allowance but still requires auth", async function () {
    const { token, owner, alice } = await networkHelpers.loadFixture(deployToken);
    await token["mint(uint256)"](3n);
    await token["burn(uint256)"](2n);
    expect(await token.balanceOf(owner.address)).to.equal(1n);
    await expect(token.connect(alice)["burn(uint256)"](1n)).to.be.revertedWith("ds-auth-unauthorized");
    await expect(token["burn(uint256)"](2n)).to.be.revertedWith("ds-token-insufficient-balance");
  });

  it("stop freezes transfers, approvals, mints and burns until start", async function () {
    const { token, alice, bob } = await networkHelpers.loadFixture(deployToken);
    await expect(token.connect(alice).stop()).to.be.revertedWith("ds-auth-unauthorized");
    await expect(token.stop()).to.emit(token, "Stop");
    expect(await token.stopped()).to.equal(true);
    await expect(token.connect(alice).transfer(bob.address, 1n)).to.be.revertedWith("ds-stop-is-stopped");
    await expect(token.connect(alice)["approve(address)"](bob.address)).to.be.revertedWith(
      "ds-stop-is-stopped",
    );
    await expect(token["mint(uint256)"](1n)).to.be.revertedWith("ds-stop-is-stopped");
    await expect(token.start()).to.emit(token, "Start");
    await token.connect(alice).transfer(bob.address, 1n);
    expect(await token.balanceOf(bob.address)).to.equal(1n);
  });

  it("setOwner hands over auth and emits LogSetOwner", async function () {
    const { token, alice } = await networkHelpers.loadFixture(deployToken);
    await expect(token.setOwner(alice.address)).to.emit(token, "LogSetOwner").withArgs(alice.address);
    await expect(token["mint(uint256)"](1n)).to.be.revertedWith("ds-auth-unauthorized");
    await token.connect(alice)["mint(uint256)"](1n);
  });

  it("asks a ds-roles authority when the caller is not the owner", async function () {
    const { token, alice, bob } = await networkHelpers.loadFixture(deployToken);
    const roles = await ethers.deployContract("DSRoles");
    const mintTo = token.interface.getFunction("mint(address,uint256)").selector;
    await roles.setUserRole(alice.address, 3, true);
    await roles.setRoleCapability(3, await token.getAddress(), mintTo, true);
    await token.setAuthority(await roles.getAddress());

    await token.connect(alice)["mint(address,uint256)"](bob.address, 4n);
    expect(await token.balanceOf(bob.address)).to.equal(4n);
    // The role grants exactly one selector; other auth calls stay refused.
    await expect(token.connect(alice)["mint(uint256)"](1n)).to.be.revertedWith("ds-auth-unauthorized");
    await expect(token.connect(bob)["mint(address,uint256)"](bob.address, 1n)).to.be.revertedWith(
      "ds-auth-unauthorized",
    );
    expect(await roles.hasUserRole(alice.address, 3)).to.equal(true);
    expect(await roles.hasUserRole(alice.address, 4)).to.equal(false);
  });
});
