import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type {
  DSChief,
  DSToken,
  SkyChief,
  SkyToken,
  VoteProxyFactory,
} from "../../types/ethers-contracts/index.js";

/** Parameters of the local chiefs; mainnet values where the chiefs publish them. */
export const LOCAL_CHIEF_PARAMS = {
  /** DSChief v1.2 on mainnet was deployed with MAX_YAYS = 5. */
  dsMaxYays: 5n,
  /** Sky's Chief for SKY: maxYays 5; launch threshold and lift cooldown as configured on mainnet-like values. */
  skyMaxYays: 5n,
  skyLaunchThreshold: 2_400_000_000n * 10n ** 18n,
  skyLiftCooldown: 10n,
} as const;

/** A MakerDAO-style governance deployment: GOV and IOU DSTokens, DSChief v1.2, and our factory. */
export interface DSChiefStack {
  family: "DSChief";
  gov: DSToken;
  iou: DSToken;
  chief: DSChief;
  factory: VoteProxyFactory;
}

/** A Sky-style governance deployment: the SKY token, Sky's Chief, and our factory. */
export interface SkyChiefStack {
  family: "SkyChief";
  gov: SkyToken;
  chief: SkyChief;
  factory: VoteProxyFactory;
}

export type ChiefStack = DSChiefStack | SkyChiefStack;

/**
 * Deploys the local DSChief v1.2 stand-in (GOV, IOU owned by the chief, chief) and a factory for it.
 * Every contract is created with plain CREATE by `deployer`, so addresses depend only on the
 * deployer and its nonce: deterministic on a fresh chain.
 */
export async function deployDSChiefStack(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
): Promise<DSChiefStack> {
  const gov = (await ethers.deployContract("DSToken", ["MKR"], deployer)) as unknown as DSToken;
  const iou = (await ethers.deployContract("DSToken", ["IOU"], deployer)) as unknown as DSToken;
  const chief = (await ethers.deployContract(
    "DSChief",
    [await gov.getAddress(), await iou.getAddress(), LOCAL_CHIEF_PARAMS.dsMaxYays],
    deployer,
  )) as unknown as DSChief;
  // As in MakerDAO's deployment, the chief owns the IOU token so it can mint and burn it.
  await (await iou.connect(deployer).setOwner(await chief.getAddress())).wait();
  const factory = await deployFactory(ethers, deployer, await chief.getAddress());
  return { family: "DSChief", gov, iou, chief, factory };
}

/** Deploys the local Sky Chief stand-in (SKY token, chief) and a factory for it. */
export async function deploySkyChiefStack(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
): Promise<SkyChiefStack> {
  const gov = (await ethers.deployContract("SkyToken", [], deployer)) as unknown as SkyToken;
  const chief = (await ethers.deployContract(
    "SkyChief",
    [
      await gov.getAddress(),
      LOCAL_CHIEF_PARAMS.skyMaxYays,
      LOCAL_CHIEF_PARAMS.skyLaunchThreshold,
      LOCAL_CHIEF_PARAMS.skyLiftCooldown,
    ],
    deployer,
  )) as unknown as SkyChief;
  const factory = await deployFactory(ethers, deployer, await chief.getAddress());
  return { family: "SkyChief", gov, chief, factory };
}

/** Deploys a VoteProxyFactory (and, inside its constructor, the VoteProxy implementation) for `chief`. */
export async function deployFactory(
  ethers: HardhatEthers,
  deployer: HardhatEthersSigner,
  chief: string,
): Promise<VoteProxyFactory> {
  const factory = (await ethers.deployContract(
    "VoteProxyFactory",
    [chief],
    deployer,
  )) as unknown as VoteProxyFactory;
  await factory.waitForDeployment();
  return factory;
}

/** Mints governance tokens of either family to `to` (test chains only: the deployer is the minter). */
export async function mintGov(
  stack: ChiefStack,
  deployer: HardhatEthersSigner,
  to: string,
  amount: bigint,
): Promise<void> {
  if (stack.family === "DSChief") {
    await (await stack.gov.connect(deployer)["mint(address,uint256)"](to, amount)).wait();
  } else {
    await (await stack.gov.connect(deployer).mint(to, amount)).wait();
  }
}
