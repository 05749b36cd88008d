// The main job on embedded defaults (for now): compile, deploy to an in-process EVM, and walk one
// custody customer through governance with a hot key that cannot move funds anywhere but cold.
import { network } from "hardhat";

import { deployDSChiefStack, deploySkyChiefStack, mintGov, type ChiefStack } from "../deploy/lib/stack.js";
import { customerIdFromLabel } from "../deploy/lib/customer-id.js";

const { ethers } = await network.create();
const [deployer, hot, attacker, newHot, otherVoter] = await ethers.getSigners();
if (!deployer || !hot || !attacker || !newHot || !otherVoter) throw new Error("expected five test accounts");

const fmt = (wad: bigint) => `${ethers.formatUnits(wad, 18)}`;
const step = (n: number, text: string) => console.log(`\n${n}. ${text}`);
const ok = (text: string) => console.log(`   ok  ${text}`);

async function refused(what: string, tx: () => Promise<unknown>): Promise<void> {
  try {
    await tx();
  } catch (error) {
    const reason =
      (error as { shortMessage?: string; message: string }).shortMessage ?? (error as Error).message;
    console.log(`   refused  ${what}: ${reason.split("\n")[0]}`);
    return;
  }
  throw new Error(`${what} was NOT refused`);
}

async function demo(stack: ChiefStack): Promise<void> {
  console.log(
    `\n=== ${stack.family === "DSChief" ? "MakerDAO DSChief v1.2" : "Sky Chief"} (local stand-in) ===`,
  );
  // A demo cold key: in production it is born in the offline ceremony and never touches this machine.
  const cold = ethers.Wallet.createRandom().connect(ethers.provider);
  await (await deployer!.sendTransaction({ to: cold.address, value: ethers.parseEther("1") })).wait();
  const customerId = customerIdFromLabel(`customer:acme:${stack.family}`);
  const symbol = stack.family === "DSChief" ? "MKR" : "SKY";

  step(1, "The service predicts the customer's proxy address before anything exists on chain");
  const predicted = await stack.factory.predictProxy(customerId, cold.address, hot!.address);
  ok(`proxy for customer acme will live at ${predicted}`);

  step(2, `Cold deposits 1000 ${symbol} with a plain transfer (no approve, no proxy call)`);
  await mintGov(stack, deployer!, cold.address, ethers.parseUnits("1000", 18));
  await (await stack.gov.connect(cold).transfer(predicted, ethers.parseUnits("1000", 18))).wait();
  ok(`predicted address holds ${fmt(await stack.gov.balanceOf(predicted))} ${symbol}`);

  step(3, "The service originates the proxy in one transaction, without any cold signature");
  const receipt = await (
    await stack.factory.connect(hot!).createProxy(customerId, cold.address, hot!.address)
  ).wait();
  const proxy = await ethers.getContractAt("VoteProxy", predicted, hot);
  ok(
    `originated for ${receipt!.gasUsed} gas; isProxy=${await stack.factory.isProxy(predicted)}; cold=${await proxy.cold()}`,
  );

  step(4, "The hot key locks and votes");
  await (await proxy.lock(ethers.parseUnits("1000", 18))).wait();
  const candidates = [otherVoter!.address, newHot!.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  await (await proxy["vote(address[])"](candidates)).wait();
  const slate = ethers.keccak256(ethers.solidityPacked(["address[]"], [candidates]));
  ok(
    `deposits in chief: ${fmt(await stack.chief.deposits(predicted))}; voting for slate ${slate.slice(0, 18)}...`,
  );
  ok(`approval of candidate ${candidates[0]}: ${fmt(await stack.chief.approvals(candidates[0]!))}`);

  step(5, "The hot key is stolen: the attacker (now holding it) tries to take the funds");
  await (await proxy.connect(cold).rotateHot(attacker!.address)).wait(); // simulate the theft
  const asAttacker = proxy.connect(attacker!);
  await refused("rescue(gov) by the hot key", () => asAttacker.rescue(stack.gov.getAddress()));
  await refused("rotateHot by the hot key", () => asAttacker.rotateHot(attacker!.address));
  await networkMine();
  const sent = await asAttacker.freeAll.staticCall();
  await (await asAttacker.freeAll()).wait();
  ok(
    `the attacker's freeAll sent ${fmt(sent)} ${symbol} to cold: cold holds ${fmt(await stack.gov.balanceOf(cold.address))}`,
  );
  ok(`attacker holds ${fmt(await stack.gov.balanceOf(attacker!.address))} ${symbol}`);

  step(6, "Cold rotates the hot key away from the attacker");
  await (await proxy.connect(cold).rotateHot(newHot!.address)).wait();
  await refused("vote by the revoked key", () => asAttacker["vote(address[])"](candidates));
  ok(`hot is now ${await proxy.hot()}`);
}

async function networkMine(): Promise<void> {
  // DSChief v1.2 refuses a free in the block of the caller's lock; the demo moves to the next block.
  await ethers.provider.send("evm_mine", []);
}

await demo(await deployDSChiefStack(ethers, deployer));
await demo(await deploySkyChiefStack(ethers, deployer));
console.log("\nDemo finished: value only ever moved towards the cold address.");
