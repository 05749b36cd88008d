/**
 * End to end on Hardhat's in-process EVM: the real factory and DSChief stand-in, the signer
 * process's API on a free port with a sealed key, and an ethers Signer that asks it to sign.
 */
import { tempDir } from "../helpers/fixture.js";
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Contract, Wallet, getAddress, hexlify, parseEther, zeroPadValue } from "ethers";
import { network } from "hardhat";
// Brings the `ethers` field of network connections into scope for any tsconfig.
import type {} from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { deployDSChiefStack, mintGov } from "../../../../deploy/lib/stack.js";
import type { DSChiefStack } from "../../../../deploy/lib/stack.js";
import { loadConfig } from "../../src/config.js";
import { startSigner } from "../../src/app.js";
import { RemoteEvmSigner, SignerClient, SignerClientError } from "../../src/client.js";
import { predictProxyAddress } from "../../src/allowlist/create2.js";

const TOKEN = randomBytes(32).toString("hex");
/** A random customer id below 2^128, as the factory requires (a UUID in the service). */
const randomCustomerId = (): string => zeroPadValue(hexlify(randomBytes(16)), 32);
const proxyAbi = [
  "function lock(uint256)",
  "function free(uint256)",
  "function freeAll()",
  "function vote(address[]) returns (bytes32)",
  "function vote(bytes32)",
  "function rescue(address)",
];
const chiefAbi = [
  "function deposits(address) view returns (uint256)",
  "function votes(address) view returns (bytes32)",
  "function approvals(address) view returns (uint256)",
];

describe("hot signer against Hardhat's EVM", () => {
  let conn: Awaited<ReturnType<typeof network.create>>;
  let stack: DSChiefStack;
  let signer: Awaited<ReturnType<typeof startSigner>>;
  let hot: RemoteEvmSigner;
  let implementation: string;
  const cold = Wallet.createRandom().address;
  const customerId = randomCustomerId();

  before(async () => {
    conn = await network.create();
    const [deployer] = await conn.ethers.getSigners();
    stack = await deployDSChiefStack(conn.ethers, deployer!);
    implementation = await stack.factory.implementation();
    const factory = await stack.factory.getAddress();
    const config = loadConfig({
      SIGNER_API_TOKEN: TOKEN,
      SIGNER_POLICY_ENFORCEMENT: "off", // predates the policy gate (issue 7)
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-signer-e2e-"),
      SIGNER_SEALED_PASSPHRASE: "e2e passphrase, test only",
      SIGNER_EVM_FACTORIES: `${factory}:${implementation}`,
    });
    signer = await startSigner(config);
    hot = new RemoteEvmSigner(
      new SignerClient({ url: signer.url, token: TOKEN }),
      "evm-hot",
      conn.ethers.provider,
    );
    await (await deployer!.sendTransaction({ to: await hot.getAddress(), value: parseEther("1") })).wait();
  });
  after(async () => {
    await signer?.close();
    await conn?.close();
  });

  it("computes the same CREATE2 address as the factory's predictProxy", async () => {
    const factory = await stack.factory.getAddress();
    for (let i = 0; i < 8; i++) {
      const id = randomCustomerId();
      const [c, h] = [Wallet.createRandom().address, Wallet.createRandom().address];
      assert.equal(
        predictProxyAddress(factory, implementation, id, c, h),
        await stack.factory.predictProxy(id, c, h),
      );
    }
  });

  it("refuses a customerId beyond 128 bits, which the factory would revert", async () => {
    const hotAddress = await hot.getAddress();
    const tooBig = "0x" + "00".repeat(15) + "01" + hexlify(randomBytes(16)).slice(2);
    await assert.rejects(stack.factory.predictProxy(tooBig, cold, hotAddress));
    await assert.rejects(
      stack.factory.connect(hot as never).createProxy(tooBig, cold, hotAddress, { gasLimit: 300_000n }),
      (e: unknown) =>
        e instanceof SignerClientError && e.reason === "EVM_BAD_CUSTOMER_ID" && e.field === "customerId",
    );
  });

  it("originates a proxy, locks, votes and frees through signer-signed transactions", async () => {
    const hotAddress = await hot.getAddress();
    const predicted = await stack.factory.predictProxy(customerId, cold, hotAddress);
    const receipt = await (
      await stack.factory.connect(hot as never).createProxy(customerId, cold, hotAddress)
    ).wait();
    assert.equal(receipt?.status, 1);
    assert.equal(receipt?.from, hotAddress);
    assert.ok(await stack.factory.isProxy(predicted));

    const [deployer] = await conn.ethers.getSigners();
    const wad = parseEther("10");
    await mintGov(stack, deployer!, predicted, wad);
    const proxy = new Contract(predicted, proxyAbi, hot);
    const chief = new Contract(await stack.chief.getAddress(), chiefAbi, conn.ethers.provider);
    await (await proxy.getFunction("lock")(wad)).wait();
    assert.equal(await chief.getFunction("deposits")(predicted), wad);

    const candidate = getAddress("0x" + "c4".repeat(20));
    await (await proxy.getFunction("vote(address[])")([candidate])).wait();
    assert.notEqual(await chief.getFunction("votes")(predicted), "0x" + "00".repeat(32));
    assert.equal(await chief.getFunction("approvals")(candidate), wad);

    await (await proxy.getFunction("free")(parseEther("4"))).wait();
    assert.equal(await chief.getFunction("deposits")(predicted), parseEther("6"));
  });

  it("refuses rescue even though the chain would have reverted it anyway", async () => {
    const hotAddress = await hot.getAddress();
    const predicted = await stack.factory.predictProxy(customerId, cold, hotAddress);
    const proxy = new Contract(predicted, proxyAbi, hot);
    await assert.rejects(
      proxy.getFunction("rescue").send(hotAddress, { gasLimit: 100_000n }),
      (e: unknown) => e instanceof SignerClientError && e.reason === "EVM_FORBIDDEN_CALL",
    );
  });
});
