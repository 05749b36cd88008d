/**
 * The chain indexer on the EVM side, end to end: Hardhat's EVM with the local DSChief deployment
 * over HTTP JSON-RPC, the real hot signer (sealed key), the API on PGlite and PostgreSQL. It
 * checks that events of transactions the service never sent (cold calling `freeAll` itself)
 * reach the status route, that a restart resumes from the cursor without duplicates, and that a
 * reorganisation of unconfirmed blocks (`evm_snapshot` / `evm_revert`) is dropped and re-read.
 */
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { Contract, Wallet, getAddress, parseEther } from "ethers";
import { network } from "hardhat";
import type {} from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import type { Database } from "../../../db/src/database.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import { ENGINES, type EngineTarget } from "../../../db/test/targets.js";
import { deployDSChiefStack, mintGov, type DSChiefStack } from "../../../../deploy/lib/stack.js";
import { serveJsonRpc, type JsonRpcEndpoint } from "../../../../bench/lib/evm-json-rpc.js";
import { buildCore } from "../../../signer/src/app.js";
import { startSignerServer } from "../../../signer/src/http/server.js";
import { SignerClient } from "../../../signer/src/client.js";
import { loadConfig as loadSignerConfig } from "../../../signer/src/config.js";
import { tempDir } from "../../../signer/test/helpers/fixture.js";
import { createApp } from "../../src/app.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { EthersEvmChain } from "../../src/chains/ethers-evm-chain.js";
import { loadConfig } from "../../src/config.js";
import { CONTRACT_ERRORS } from "../../src/governance/abi.js";
import type { GovernanceRuntime } from "../../src/governance/settings.js";
import { HttpMetrics } from "../../src/http/metrics.js";
import { ChainEventsRepository } from "../../src/indexer/chain-events.repository.js";
import { ChainIndexer } from "../../src/indexer/chain-indexer.js";
import type { IndexerSettings } from "../../src/indexer/settings.js";
import { JsonLogger } from "../../src/logger.js";
import { OutboxWorker } from "../../src/outbox/outbox.worker.js";
import { VALID_TZ1 } from "../helpers.js";

type Connection = Awaited<ReturnType<typeof network.create>>;

const INDEXER: IndexerSettings = {
  enabled: false, // the tests run passes themselves
  pollMs: 1000,
  evmConfirmations: 3,
  tezosConfirmations: 2,
  batchBlocks: 4, // small, so catching up takes several passes
};

interface Rig {
  readonly conn: Connection;
  readonly stack: DSChiefStack;
  readonly governance: GovernanceRuntime;
  readonly database: Database;
  app: NestFastifyApplication;
  readonly keys: Record<"admin" | "operator" | "auditor", string>;
  readonly logLines: string[];
  /** Closes the app and builds a new one on the same database (a service restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function startRig(engine: EngineTarget): Promise<Rig> {
  const conn = await network.create();
  const [deployer] = await conn.ethers.getSigners();
  const stack = await deployDSChiefStack(conn.ethers, deployer!);
  const factory = await stack.factory.getAddress();
  const implementation = await stack.factory.implementation();
  const rpc: JsonRpcEndpoint = await serveJsonRpc(conn.provider);
  const token = randomBytes(32).toString("hex");
  const core = await buildCore(
    loadSignerConfig({
      SIGNER_API_TOKEN: token,
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-indexer-signer-"),
      SIGNER_SEALED_PASSPHRASE: "indexer e2e passphrase, test only",
      // The signer-side policy check is not what these tests are about (see services/policy).
      SIGNER_POLICY_ENFORCEMENT: "off",
      SIGNER_EVM_FACTORIES: `${factory}:${implementation}`,
    }),
  );
  const signer = await startSignerServer({ core, apiToken: token, port: 0, log: () => {} });
  const signerClient = new SignerClient({ url: signer.url, token });
  const hot = (await signerClient.key("evm-hot")).address;
  await (await deployer!.sendTransaction({ to: hot, value: parseEther("10") })).wait();
  const chain = new EthersEvmChain(rpc.url, CONTRACT_ERRORS);
  const governance: GovernanceRuntime = {
    chain,
    signer: signerClient,
    settings: {
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
    },
  };
  const { database, dispose } = await engine.open();
  const logLines: string[] = [];
  const build = () =>
    createApp({
      config: loadConfig({ DATA_DIR: "memory://" }),
      database,
      logger: new JsonLogger("info", (line) => logLines.push(line)),
      metrics: new HttpMetrics(false),
      governance,
      indexer: INDEXER,
    });
  const app = await build();
  const keys = {} as Rig["keys"];
  for (const role of ["admin", "operator", "auditor"] as const) {
    const issued = issueApiKey(`test ${role}`, role, new Date());
    await new ApiKeysRepository().insert(database.db, issued.row);
    keys[role] = issued.token;
  }
  const rig: Rig = {
    conn,
    stack,
    governance,
    database,
    app,
    keys,
    logLines,
    async restart() {
      await rig.app.close();
      rig.app = await build();
    },
    async close() {
      await rig.app.close();
      await dispose();
      chain.destroy();
      await signer.close();
      await core.close();
      await rpc.close();
      await conn.close();
    },
  };
  return rig;
}

interface GovernanceStatus {
  chiefDeposits: string;
  slate: string;
  candidates: string[];
  indexed: {
    cursor: { nextBlock: number; headSeen: number; confirmationDepth: number };
    lockedWad: string;
    lastVotedSlate: string | null;
    hot: string | null;
    events: {
      name: string;
      txHash: string;
      args: Record<string, string>;
      confirmed: boolean;
      blockNumber: number;
    }[];
  };
  operations: { kind: string; status: string; txHash: string | null }[];
}

const CANDIDATE_A = getAddress("0x" + "1b".repeat(20));
const CANDIDATE_B = getAddress("0x" + "c4".repeat(20));

for (const engine of ENGINES) {
  describe(`chain indexer on the EVM (Hardhat, hot signer, ${engine.name})`, { skip: engine.skip }, () => {
    let rig: Rig;
    let cold: Wallet;
    let customerId: string;
    let proxy: string;
    let seq = 0;

    const request = (method: "GET" | "POST", url: string, token: string, body?: unknown) =>
      rig.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(method === "POST" ? { "idempotency-key": `k-${++seq}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
    const act = async (action: string, body?: unknown) => {
      const res = await request(
        "POST",
        `/v1/customers/${customerId}/governance/${action}`,
        rig.keys.operator,
        body,
      );
      assert.equal(res.statusCode, 202, res.body);
      await rig.app.get(OutboxWorker).drain();
      const queued = res.json() as { operationId: string; proxyAddress: string };
      const op = await request("GET", `/v1/operations/${queued.operationId}`, rig.keys.operator);
      const { status: final, failureReason } = op.json() as { status: string; failureReason: string | null };
      assert.equal(final, "confirmed", `${action}: ${failureReason}`);
      return queued;
    };
    const status = async (): Promise<GovernanceStatus> => {
      const res = await request("GET", `/v1/customers/${customerId}/governance`, rig.keys.operator);
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as GovernanceStatus;
    };
    const index = () => rig.app.get(ChainIndexer).runOnce();
    const total = () => new ChainEventsRepository().countByChain(rig.database.db, "evm");
    const proxyAs = (signer: Wallet) =>
      new Contract(proxy, ["function freeAll() returns (uint256)", "function lock(uint256)"], signer);

    before(async () => {
      rig = await startRig(engine);
      const [deployer] = await rig.conn.ethers.getSigners();
      cold = Wallet.createRandom().connect(rig.conn.ethers.provider) as unknown as Wallet;
      await (await deployer!.sendTransaction({ to: cold.address, value: parseEther("1") })).wait();
      const res = await request("POST", "/v1/customers", rig.keys.admin, {
        name: "Indexed customer",
        evmColdAddress: cold.address,
        tezosColdAddress: VALID_TZ1,
      });
      assert.equal(res.statusCode, 201, res.body);
      customerId = (res.json() as { id: string }).id;
      proxy = (await act("proxy")).proxyAddress;
      await mintGov(rig.stack, deployer!, proxy, parseEther("50"));
      await act("lock", { wad: parseEther("50").toString() });
      await act("vote", { candidates: [CANDIDATE_A, CANDIDATE_B] });
    });
    after(async () => {
      await rig?.close();
    });

    it("indexes the service's own transactions and shows them with the chief's state", async () => {
      await index();
      const s = await status();
      const names = s.indexed.events.map((e) => e.name);
      assert.equal(names[0], "ProxyCreated");
      assert.deepEqual(
        names.filter((n) => n === "Locked" || n === "Voted"),
        ["Locked", "Voted"],
      );
      assert.equal(s.indexed.lockedWad, parseEther("50").toString());
      assert.equal(s.chiefDeposits, parseEther("50").toString());
      assert.equal(s.indexed.lastVotedSlate, s.slate);
      assert.deepEqual(s.candidates, [CANDIDATE_A, CANDIDATE_B]);
      const hot = (await rig.governance.signer.key("evm-hot")).address;
      assert.equal(s.indexed.hot, getAddress(hot));
      // Every confirmed operation's transaction is among the indexed ones.
      const txs = new Set(s.indexed.events.map((e) => e.txHash));
      for (const op of s.operations) {
        assert.equal(op.status, "confirmed");
        assert.ok(txs.has(op.txHash!), `${op.kind} ${op.txHash} not indexed`);
      }
    });

    it("shows what cold did directly on chain (freeAll), which the service never sent", async () => {
      const ops = (await status()).operations.length;
      await (await proxyAs(cold).getFunction("freeAll")()).wait();
      await index();
      const s = await status();
      assert.equal(s.operations.length, ops, "no operation was recorded by the service");
      const freed = s.indexed.events.filter((e) => e.name === "Freed");
      assert.equal(freed.length, 1);
      assert.equal(freed[0]!.args["wad"], parseEther("50").toString());
      assert.equal(s.indexed.lockedWad, "0");
      assert.equal(s.chiefDeposits, "0");
    });

    it("lists the events to auditors and operators only, and names a bad query field", async () => {
      const url = `/v1/customers/${customerId}/events`;
      const auditor = await request("GET", `${url}?chain=evm&limit=500`, rig.keys.auditor);
      assert.equal(auditor.statusCode, 200, auditor.body);
      const body = auditor.json() as { events: { name: string; subject: string }[]; cursors: unknown[] };
      assert.ok(body.events.length >= 4);
      assert.ok(body.events.every((e) => e.subject === proxy));
      assert.equal((await request("GET", url, rig.keys.admin)).statusCode, 403);
      const bad = await request("GET", `${url}?limit=0`, rig.keys.operator);
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /limit/);
      const unknown = await request("GET", `${url}?colour=red`, rig.keys.operator);
      assert.equal(unknown.statusCode, 400);
      assert.match(unknown.body, /colour/);
      const page = await request("GET", `${url}?after=${Number.MAX_SAFE_INTEGER}`, rig.keys.operator);
      assert.deepEqual((page.json() as { events: unknown[] }).events, []);
      const missing = await request(
        "GET",
        `/v1/customers/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}/events`,
        rig.keys.operator,
      );
      assert.equal(missing.statusCode, 404);
    });

    it("resumes from its cursor after a restart and stores nothing twice", async () => {
      const before = await total();
      const cursor = (await status()).indexed.cursor.nextBlock;
      await rig.restart();
      const again = await index();
      assert.equal(await total(), before);
      // Nothing new on chain: the pass starts at the stored cursor, not at block 0.
      for (const r of again) if (r.range) assert.ok(r.range.from >= cursor);
      // Forcing a re-read of everything still stores every event once.
      await rig.database.db.execute(
        (await import("drizzle-orm")).sql`update chain_cursors set next_block = 0 where chain = 'evm'`,
      );
      await index();
      assert.equal(await total(), before);
    });

    it("drops events of unconfirmed blocks replaced by a reorganisation and re-reads the new ones", async () => {
      const [deployer] = await rig.conn.ethers.getSigners();
      const snapshot = (await rig.conn.provider.request({ method: "evm_snapshot" })) as string;
      await mintGov(rig.stack, deployer!, proxy, parseEther("7"));
      await (await proxyAs(cold).getFunction("lock")(parseEther("7"))).wait();
      await index();
      const orphan = (await status()).indexed.events.find(
        (e) => e.name === "Locked" && e.args["wad"] === parseEther("7").toString(),
      );
      assert.ok(orphan, "the lock was indexed before the reorg");
      assert.equal(orphan.confirmed, false);
      const before = await total();

      // The chain forgets those blocks; other blocks take their heights.
      await rig.conn.provider.request({ method: "evm_revert", params: [snapshot] });
      for (let i = 0; i < 3; i++)
        await (await deployer!.sendTransaction({ to: cold.address, value: 1n })).wait();
      const results = await index();
      assert.ok(
        results.some((r) => r.rolledBackFrom !== undefined),
        "the pass noticed the reorganisation",
      );
      const s = await status();
      assert.equal(
        s.indexed.events.some((e) => e.txHash === orphan.txHash),
        false,
      );
      assert.equal(await total(), before - 1);
      assert.equal(s.indexed.lockedWad, "0");
      assert.ok(rig.logLines.some((l) => l.includes("chain reorganisation")));

      // A lock in the new history is indexed normally.
      await mintGov(rig.stack, deployer!, proxy, parseEther("3"));
      await (await proxyAs(cold).getFunction("lock")(parseEther("3"))).wait();
      await index();
      assert.equal((await status()).indexed.lockedWad, parseEther("3").toString());
    });
  });
}
