// Shared world-building for the vote proxy suites: both chief families, the factory, one funded
// proxy, the named actors, and the balance/approval readings every test asserts on.
import { expect } from "chai";
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type {
  DSChief,
  DSToken,
  SkyChief,
  SkyToken,
  VoteProxy,
  VoteProxyFactory,
} from "../../types/ethers-contracts/index.js";
import { customerIdFromLabel } from "../../deploy/lib/customer-id.js";

/** The two chief families a vote proxy must work with. */
export type Family = "DSChief" | "SkyChief";
export const FAMILIES: readonly Family[] = ["DSChief", "SkyChief"];

export const WAD = 10n ** 18n;
export const MAX_UINT256 = 2n ** 256n - 1n;
/** Slate size limit of the local chiefs: small, so boundary tests stay fast. */
export const MAX_YAYS = 5;
/** Blocks Sky's chief waits between two lifts in these fixtures. */
export const LIFT_COOLDOWN = 3;
/** What the depositor sends to the proxy in the standard fixture. */
export const FUNDED = 100n * WAD;
/** What the depositor holds before funding anything. */
export const DEPOSITOR_SUPPLY = 10_000n * WAD;
/** Gas limit for transactions sent with automine off (estimation would see a stale state). */
export const FIXED_GAS = 1_000_000n;

/** The named actors of every suite (the attacker is the thief of a hot key in the exploit suite). */
export interface Actors {
  deployer: HardhatEthersSigner;
  cold: HardhatEthersSigner;
  hot: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  attacker: HardhatEthersSigner;
  newHot: HardhatEthersSigner;
  depositor: HardhatEthersSigner;
}

/** A chief of either family, its tokens, a factory on it, and one funded proxy. */
export interface World {
  family: Family;
  ethers: HardhatEthers;
  actors: Actors;
  /** The chief, typed through Sky's ABI for the calls and getters both families share. */
  chief: SkyChief;
  /** The governance token, typed through SKY's ABI for the ERC-20 calls both tokens share. */
  gov: SkyToken;
  /** DSChief's IOU token; null for Sky's chief. */
  iou: DSToken | null;
  dsChief: DSChief | null;
  factory: VoteProxyFactory;
  implementation: VoteProxy;
  proxy: VoteProxy;
  customerId: string;
  mintGov(to: string, amount: bigint): Promise<void>;
}

/** Signers in a fixed order so every suite names the same accounts the same way. */
export async function actorsOf(ethers: HardhatEthers): Promise<Actors> {
  const signers = await ethers.getSigners();
  const signer = (index: number): HardhatEthersSigner => {
    const found = signers[index];
    if (found === undefined) throw new Error(`the network has no signer #${index}`);
    return found;
  };
  return {
    deployer: signer(0),
    cold: signer(1),
    hot: signer(2),
    stranger: signer(3),
    attacker: signer(4),
    newHot: signer(5),
    depositor: signer(6),
  };
}

/**
 * Deploys a chief of `family` with its token(s), a factory and a proxy for (`cold`, `hot`)
 * funded with {@link FUNDED} GOV by a plain transfer from the depositor.
 */
export async function deployWorld(
  ethers: HardhatEthers,
  family: Family,
  roles: { cold?: string; hot?: string; reentrantGov?: boolean } = {},
): Promise<World> {
  const actors = await actorsOf(ethers);
  let chiefAddress: string;
  let govAddress: string;
  let iou: DSToken | null = null;
  let dsChief: DSChief | null = null;
  let mintGov: (to: string, amount: bigint) => Promise<void>;
  // A hostile GOV (ReentrantToken, which also speaks ds-token's pull/push) replaces MKR or SKY.
  const hostileGov = roles.reentrantGov === true ? await ethers.deployContract("ReentrantToken") : null;
  if (family === "DSChief") {
    const govToken = hostileGov ?? (await ethers.deployContract("DSToken", ["MKR"]));
    iou = await ethers.deployContract("DSToken", ["IOU"]);
    dsChief = await ethers.deployContract("DSChief", [govToken, iou, MAX_YAYS]);
    // The chief mints and burns IOU, as on mainnet where it owns the IOU token.
    await iou.setOwner(dsChief);
    chiefAddress = await dsChief.getAddress();
    govAddress = await govToken.getAddress();
    mintGov = async (to, amount) => {
      if (hostileGov !== null) await hostileGov.mint(to, amount);
      else await (await ethers.getContractAt("DSToken", govToken))["mint(address,uint256)"](to, amount);
    };
  } else {
    const govToken = hostileGov ?? (await ethers.deployContract("SkyToken"));
    const sky = await ethers.deployContract("SkyChief", [govToken, MAX_YAYS, 80_000n * WAD, LIFT_COOLDOWN]);
    chiefAddress = await sky.getAddress();
    govAddress = await govToken.getAddress();
    mintGov = async (to, amount) => {
      await govToken.mint(to, amount);
    };
  }
  const factory = await ethers.deployContract("VoteProxyFactory", [chiefAddress]);
  const implementation = await ethers.getContractAt("VoteProxy", await factory.implementation());
  const cold = roles.cold ?? actors.cold.address;
  const hot = roles.hot ?? actors.hot.address;
  const customerId = customerIdFromLabel(`customer-${family}`);
  await factory.createProxy(customerId, cold, hot);
  const proxy = await ethers.getContractAt("VoteProxy", await factory.predictProxy(customerId, cold, hot));
  await mintGov(actors.depositor.address, DEPOSITOR_SUPPLY);
  const gov = await ethers.getContractAt("SkyToken", govAddress);
  await gov.connect(actors.depositor).transfer(proxy, FUNDED);
  return {
    family,
    ethers,
    actors,
    chief: await ethers.getContractAt("SkyChief", chiefAddress),
    gov,
    iou,
    dsChief,
    factory,
    implementation,
    proxy,
    customerId,
    mintGov,
  };
}

/** Everything the value invariants talk about, read in one go. */
export interface Reading {
  proxyGov: bigint;
  coldGov: bigint;
  chiefGov: bigint;
  deposits: bigint;
  proxyIou: bigint;
  govAllowance: bigint;
  iouAllowance: bigint;
}

/** Reads the proxy's, cold's and the chief's GOV, the proxy's deposit, IOU and allowances. */
export async function read(world: World, cold?: string): Promise<Reading> {
  const { gov, chief, proxy, iou } = world;
  const coldAddress = cold ?? world.actors.cold.address;
  const [proxyGov, coldGov, chiefGov, deposits, govAllowance] = await Promise.all([
    gov.balanceOf(proxy),
    gov.balanceOf(coldAddress),
    gov.balanceOf(chief),
    chief.deposits(proxy),
    gov.allowance(proxy, chief),
  ]);
  const proxyIou = iou === null ? 0n : await iou.balanceOf(proxy);
  const iouAllowance = iou === null ? 0n : await iou.allowance(proxy, chief);
  return { proxyGov, coldGov, chiefGov, deposits, proxyIou, govAllowance, iouAllowance };
}

/**
 * The chief never keeps an allowance over the proxy's GOV after a proxy call. Over IOU (DSChief
 * only) the factory grants one standing maximum allowance at origination, by design: IOU is
 * worthless outside the chief that mints and burns it.
 */
export async function expectNoStandingApprovals(world: World): Promise<void> {
  const r = await read(world);
  expect(r.govAllowance, "chief's GOV allowance over the proxy").to.equal(0n);
  expect(r.iouAllowance, "chief's IOU allowance over the proxy").to.equal(
    world.iou === null ? 0n : MAX_UINT256,
  );
}

/**
 * Sends every transaction with automine off, mines them into one block and returns their receipts
 * in sending order (status 0 = reverted). Callers pass `{ gasLimit: FIXED_GAS }`.
 *
 * @throws Error if a transaction was not mined or the transactions did not share one block.
 */
export async function inOneBlock<const T extends ReadonlyArray<() => Promise<ContractTransactionResponse>>>(
  ethers: HardhatEthers,
  sends: T,
): Promise<{ [K in keyof T]: TransactionReceipt }> {
  await ethers.provider.send("evm_setAutomine", [false]);
  const hashes: string[] = [];
  try {
    for (const send of sends) hashes.push((await send()).hash);
    await ethers.provider.send("evm_mine", []);
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  const receipts: TransactionReceipt[] = [];
  for (const hash of hashes) {
    const receipt = await ethers.provider.getTransactionReceipt(hash);
    if (receipt === null) throw new Error(`transaction ${hash} was not mined`);
    receipts.push(receipt);
  }
  const blocks = new Set(receipts.map((r) => r.blockNumber));
  if (blocks.size !== 1) throw new Error(`expected one block, got ${[...blocks].join(",")}`);
  return receipts as { [K in keyof T]: TransactionReceipt };
}

/** `count` distinct candidate addresses in the strictly increasing order both chiefs require. */
export function candidates(ethers: HardhatEthers, count: number, start = 0x1000): string[] {
  return Array.from({ length: count }, (_, i) => candidate(ethers, i, start));
}

/** The `index`-th address of {@link candidates}' sequence. */
export function candidate(ethers: HardhatEthers, index: number, start = 0x1000): string {
  return ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(start + index), 20));
}

/** Slate id as both chiefs compute it: keccak256 of the packed, 32-byte-padded address array. */
export function slateOf(ethers: HardhatEthers, yays: readonly string[]): string {
  return ethers.solidityPackedKeccak256(["address[]"], [yays]);
}

/** Impersonates `address` (with gas money) so a contract such as the factory can be the caller. */
export async function impersonate(ethers: HardhatEthers, address: string): Promise<HardhatEthersSigner> {
  await ethers.provider.send("hardhat_impersonateAccount", [address]);
  await ethers.provider.send("hardhat_setBalance", [address, "0x56BC75E2D63100000"]);
  return ethers.getSigner(address);
}

/**
 * Asserts that `tx` logged exactly one `Voted(slate)` from `proxy` and returns its slate. The event is
 * anonymous (decision 0010): one topic, the slate, and no data, which chai's `emit` cannot match by
 * name, so the receipt's logs are read directly.
 *
 * @example await expectVoted(proxy.connect(hot)["vote(address[])"](yays), proxy, slateOf(ethers, yays))
 */
export async function expectVoted(
  tx: Promise<{ wait(): Promise<TransactionReceipt | null> }>,
  proxy: { getAddress(): Promise<string> },
  slate?: string,
): Promise<string> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("the vote was not mined");
  const address = await proxy.getAddress();
  const voted = receipt.logs.filter(
    (log) => log.address === address && log.topics.length === 1 && log.data === "0x",
  );
  expect(voted, "exactly one anonymous Voted log from the proxy").to.have.length(1);
  const logged = voted[0]!.topics[0]!;
  if (slate !== undefined) expect(logged, "the Voted slate").to.equal(slate);
  return logged;
}
