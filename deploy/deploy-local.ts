// Deterministic local deployment: on a fresh in-process Hardhat chain, the first test account deploys
// the local stand-ins of both chief families and one VoteProxyFactory (plus its implementation) for
// each. Plain CREATE from a fresh deployer makes every address a function of (deployer, nonce), so
// the addresses are recorded in deploy/addresses/local.json and checked on every run.
//
//   npm run deploy:local              deploy and check against the recorded addresses
//   RECORD=1 npm run deploy:local     deploy and (re)write the record
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { network } from "hardhat";

import { deployDSChiefStack, deploySkyChiefStack } from "./lib/stack.js";

const RECORD_PATH = join(dirname(fileURLToPath(import.meta.url)), "addresses", "local.json");

const { ethers } = await network.create();
const [deployer] = await ethers.getSigners();
if (!deployer) throw new Error("no deployer account on the in-process chain");
if ((await ethers.provider.getTransactionCount(deployer.address)) !== 0) {
  throw new Error(
    `deployer ${deployer.address} has already sent transactions: addresses would not be the recorded ones`,
  );
}

const ds = await deployDSChiefStack(ethers, deployer);
const sky = await deploySkyChiefStack(ethers, deployer);
const deployed = {
  chainId: Number((await ethers.provider.getNetwork()).chainId),
  deployer: deployer.address,
  dsChief: {
    gov: await ds.gov.getAddress(),
    iou: await ds.iou.getAddress(),
    chief: await ds.chief.getAddress(),
    factory: await ds.factory.getAddress(),
    implementation: await ds.factory.implementation(),
  },
  skyChief: {
    gov: await sky.gov.getAddress(),
    chief: await sky.chief.getAddress(),
    factory: await sky.factory.getAddress(),
    implementation: await sky.factory.implementation(),
  },
};

const text = `${JSON.stringify(deployed, null, 2)}\n`;
if (process.env.RECORD === "1" || !existsSync(RECORD_PATH)) {
  writeFileSync(RECORD_PATH, text);
  console.log(`recorded deployment addresses in ${RECORD_PATH}`);
} else if (readFileSync(RECORD_PATH, "utf8") !== text) {
  console.error("deployed addresses differ from the record:");
  console.error(text);
  throw new Error(
    `deployment is not the recorded one (${RECORD_PATH}); rerun with RECORD=1 if the change is intended`,
  );
}
console.log(text);
console.log("local deployment matches the recorded addresses");
