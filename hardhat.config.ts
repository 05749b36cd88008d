import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

// The compiler comes from the pinned `solc` npm package: Hardhat must never download one.
const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: {
        version: "0.8.28",
        path: require.resolve("solc/soljson.js"),
        settings: {
          optimizer: { enabled: true, runs: 10_000 },
          evmVersion: "cancun",
        },
      },
    },
    // MakerDAO's reference contracts are compiled with their own compiler only in benchmarks.
  },
  paths: {
    tests: { mocha: "test" },
  },
  test: {
    mocha: { timeout: 120_000 },
  },
});
