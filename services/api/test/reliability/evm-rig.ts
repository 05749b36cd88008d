/**
 * Rig of the reliability tests: Hardhat's in-process EVM with the local DSChief deployment served
 * over HTTP JSON-RPC, the real hot signer (sealed key) on its own port, and helpers to count what
 * the hot key really put on chain. Built like the governance e2e rig; the API is either built in
 * process (`createApp`) or started as child processes by the caller.
 */
import { randomBytes } from "node:crypto";
import { getAddress, parseEther } from "ethers";
import { network } from "hardhat";
// Brings the `ethers` field of network connections into scope for any tsconfig.
import type {} from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { serveJsonRpc } from "../../../../bench/lib/evm-json-rpc.js";
import { deployDSChiefStack, type DSChiefStack } from "../../../../deploy/lib/stack.js";
import { buildCore } from "../../../signer/src/app.js";
import { startSignerServer } from "../../../signer/src/http/server.js";
import { SignerClient } from "../../../signer/src/client.js";
import { loadConfig as loadSignerConfig } from "../../../signer/src/config.js";
import { tempDir } from "../../../signer/test/helpers/fixture.js";
import { EthersEvmChain } from "../../src/chains/ethers-evm-chain.js";
import { CONTRACT_ERRORS } from "../../src/governance/abi.js";
import type { GovernanceRuntime } from "../../src/governance/settings.js";

export type Connection = Awaited<ReturnType<typeof network.create>>;

export interface EvmRig {
  readonly conn: Connection;
  readonly stack: DSChiefStack;
  readonly rpcUrl: string;
  readonly chain: EthersEvmChain;
  readonly signerUrl: string;
  readonly signerToken: string;
  readonly signerClient: SignerClient;
  readonly hot: string;
  readonly governance: GovernanceRuntime;
  /** Environment of a child API process reaching this chain and signer. */
  readonly env: Record<string, string>;
  /** Every transaction the hot key has in mined blocks, in block order. */
  hotTransactions(): Promise<{ hash: string; nonce: number; block: number }[]>;
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts chain, deployment and signer (sealed key); `close` stops them. */
export async function startEvmRig(): Promise<EvmRig> {
  const conn = await network.create();
  const [deployer] = await conn.ethers.getSigners();
  const stack = await deployDSChiefStack(conn.ethers, deployer!);
  const factory = await stack.factory.getAddress();
  const implementation = await stack.factory.implementation();
  // Child API processes keep connections alive; do not let them hold the test open.
  const rpcServer = await serveJsonRpc(conn.provider, { keepAliveTimeoutMs: 1_000 });
  const rpcUrl = rpcServer.url;

  const signerToken = randomBytes(32).toString("hex");
  const signerConfig = loadSignerConfig({
    SIGNER_API_TOKEN: signerToken,
    SIGNER_PORT: "0",
    SIGNER_DATA_DIR: tempDir("coldpath-reliability-signer-"),
    SIGNER_SEALED_PASSPHRASE: "reliability passphrase, test only",
    SIGNER_POLICY_ENFORCEMENT: "off",
    SIGNER_EVM_FACTORIES: `${factory}:${implementation}`,
  });
  const core = await buildCore(signerConfig);
  const signer = await startSignerServer({ core, apiToken: signerToken, port: 0, log: () => {} });
  const signerClient = new SignerClient({ url: signer.url, token: signerToken });
  const hot = getAddress((await signerClient.key("evm-hot")).address);
  await (await deployer!.sendTransaction({ to: hot, value: parseEther("10") })).wait();

  const chain = new EthersEvmChain(rpcUrl, CONTRACT_ERRORS);
  const settings = {
    chainId: 31337n,
    factory,
    implementation,
    chief: await stack.chief.getAddress(),
    gov: await stack.gov.getAddress(),
    hotKeyId: "evm-hot",
    maxFeePerGas: 100_000_000_000n,
    maxPriorityFeePerGas: 2_000_000_000n,
    maxGasLimit: 1_000_000n,
    maxCandidates: 5,
    fromBlock: 0,
  };
  const rpc = (method: string, params: unknown[] = []) => conn.provider.request({ method, params });
  return {
    conn,
    stack,
    rpcUrl,
    chain,
    signerUrl: signer.url,
    signerToken,
    signerClient,
    hot,
    governance: { chain, signer: signerClient, settings },
    env: {
      EVM_RPC_URL: rpcUrl,
      SIGNER_URL: signer.url,
      SIGNER_TOKEN: signerToken,
      EVM_FACTORY: factory,
      EVM_IMPLEMENTATION: implementation,
      EVM_CHIEF: settings.chief,
      EVM_GOV: settings.gov,
      EVM_CHAIN_ID: "31337",
      EVM_HOT_KEY_ID: "evm-hot",
    },
    rpc,
    async hotTransactions() {
      const latest = Number(await rpc("eth_blockNumber"));
      const found: { hash: string; nonce: number; block: number }[] = [];
      for (let n = 0; n <= latest; n++) {
        const block = (await rpc("eth_getBlockByNumber", ["0x" + n.toString(16), true])) as {
          transactions: { from: string; hash: string; nonce: string }[];
        };
        for (const t of block.transactions) {
          if (getAddress(t.from) === hot) found.push({ hash: t.hash, nonce: Number(t.nonce), block: n });
        }
      }
      return found;
    },
    async close() {
      chain.destroy();
      await signer.close();
      await core.close();
      await rpcServer.close();
      await conn.close();
    },
  };
}
