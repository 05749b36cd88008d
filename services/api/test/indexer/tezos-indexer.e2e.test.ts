/**
 * The chain indexer on the Tezos side, end to end: the in-repo sandbox over its HTTP RPC, the real
 * hot signer (sealed key, baker allowlist), the API on PGlite and PostgreSQL. The service
 * originates and delegates; a depositor and the cold key act on the contract directly; the status
 * route shows all of it from the index, and a restart stores nothing twice.
 */
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NestFastifyApplication } from "@nestjs/platform-fastify";
import { TezosToolkit } from "@taquito/taquito";
import { sql } from "drizzle-orm";
import type { Database } from "../../../db/src/database.js";
import { ApiKeysRepository } from "../../../db/src/repositories.js";
import { ENGINES, type EngineTarget } from "../../../db/test/targets.js";
import { buildCore } from "../../../signer/src/app.js";
import { startSignerServer } from "../../../signer/src/http/server.js";
import { SignerClient } from "../../../signer/src/client.js";
import { loadConfig as loadSignerConfig } from "../../../signer/src/config.js";
import { tempDir } from "../../../signer/test/helpers/fixture.js";
import { startSandbox, type BootstrapAccount, type RunningSandbox } from "../../../../tezos/sandbox/index.js";
import {
  DelegationClient,
  SoftwareEd25519Signer,
  TaquitoSignerAdapter,
} from "../../../../tezos/src/index.js";
import { createApp } from "../../src/app.js";
import { issueApiKey } from "../../src/auth/api-key-tokens.js";
import { TaquitoTezosChain } from "../../src/chains/tezos-taquito-chain.js";
import { loadConfig } from "../../src/config.js";
import { HttpMetrics } from "../../src/http/metrics.js";
import { ChainEventsRepository } from "../../src/indexer/chain-events.repository.js";
import { ChainIndexer } from "../../src/indexer/chain-indexer.js";
import { JsonLogger } from "../../src/logger.js";
import { TezosOutboxWorker } from "../../src/staking/tezos.worker.js";
import { VALID_EVM } from "../helpers.js";

interface Rig {
  readonly sandbox: RunningSandbox & { accounts: BootstrapAccount[] };
  readonly database: Database;
  app: NestFastifyApplication;
  readonly keys: Record<"admin" | "operator" | "auditor", string>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A Taquito client signing with a bootstrap account's (public, test-only) seed. */
function clientOf(url: string, account: BootstrapAccount): DelegationClient {
  const tezos = new TezosToolkit(url);
  tezos.setSignerProvider(new TaquitoSignerAdapter(new SoftwareEd25519Signer(account.seed)));
  return new DelegationClient(tezos, { pollingIntervalMs: 5, confirmationTimeoutSec: 20 });
}

async function startRig(engine: EngineTarget): Promise<Rig> {
  const sandbox = await startSandbox({ port: 0, accounts: 4, delegates: 2 });
  const token = randomBytes(32).toString("hex");
  const core = await buildCore(
    loadSignerConfig({
      SIGNER_API_TOKEN: token,
      SIGNER_PORT: "0",
      SIGNER_DATA_DIR: tempDir("coldpath-indexer-tezos-signer-"),
      SIGNER_SEALED_PASSPHRASE: "indexer tezos passphrase, test only",
      // The signer-side policy check is not what these tests are about (see services/policy).
      SIGNER_POLICY_ENFORCEMENT: "off",
      SIGNER_TEZOS_BAKERS: sandbox.accounts[0]!.address,
    }),
  );
  const signer = await startSignerServer({ core, apiToken: token, port: 0, log: () => {} });
  const chain = new TaquitoTezosChain(sandbox.url, new SignerClient({ url: signer.url, token }), "tezos-hot");
  const funder = new TezosToolkit(sandbox.url);
  funder.setSignerProvider(new TaquitoSignerAdapter(new SoftwareEd25519Signer(sandbox.accounts[3]!.seed)));
  await (await funder.contract.transfer({ to: await chain.hotAddress(), amount: 10 })).confirmation(1);
  const { database, dispose } = await engine.open();
  const build = () =>
    createApp({
      config: loadConfig({ DATA_DIR: "memory://" }),
      database,
      logger: new JsonLogger("silent", () => {}),
      metrics: new HttpMetrics(false),
      staking: { chain },
      indexer: { enabled: false, pollMs: 1000, evmConfirmations: 12, tezosConfirmations: 2, batchBlocks: 3 },
    });
  const keys = {} as Rig["keys"];
  for (const role of ["admin", "operator", "auditor"] as const) {
    const issued = issueApiKey(`test ${role}`, role, new Date());
    await new ApiKeysRepository().insert(database.db, issued.row);
    keys[role] = issued.token;
  }
  const rig: Rig = {
    sandbox,
    database,
    app: await build(),
    keys,
    async restart() {
      await rig.app.close();
      rig.app = await build();
    },
    async close() {
      await rig.app.close();
      await dispose();
      await signer.close();
      await core.close();
      await sandbox.close();
    },
  };
  return rig;
}

interface StakingStatus {
  contractAddress: string | null;
  delegate: string | null;
  balanceMutez: string | null;
  indexed: {
    delegate: string | null;
    withdrawnMutez: string;
    events: { name: string; args: Record<string, string | null>; txHash: string }[];
  } | null;
  operations: { kind: string; status: string; txHash: string | null }[];
}

for (const engine of ENGINES) {
  describe(`chain indexer on Tezos (sandbox, hot signer, ${engine.name})`, { skip: engine.skip }, () => {
    let rig: Rig;
    let customerId: string;
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
    const status = async (): Promise<StakingStatus> => {
      const res = await request("GET", `/v1/customers/${customerId}/staking`, rig.keys.auditor);
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as StakingStatus;
    };
    const act = async (action: string, body?: unknown) => {
      const res = await request(
        "POST",
        `/v1/customers/${customerId}/staking/${action}`,
        rig.keys.operator,
        body,
      );
      assert.equal(res.statusCode, 202, res.body);
      await rig.app.get(TezosOutboxWorker).drain();
    };
    const index = () => rig.app.get(ChainIndexer).runOnce();

    before(async () => {
      rig = await startRig(engine);
      // The customer's cold key is bootstrap account 3: it can sign its own withdrawal here.
      const res = await request("POST", "/v1/customers", rig.keys.admin, {
        name: "Staking customer",
        evmColdAddress: VALID_EVM,
        tezosColdAddress: rig.sandbox.accounts[2]!.address,
      });
      assert.equal(res.statusCode, 201, res.body);
      customerId = (res.json() as { id: string }).id;
    });
    after(async () => {
      await rig?.close();
    });

    it("shows origination and delegation from the index next to the operations", async () => {
      await act("contract");
      await act("delegate", { baker: rig.sandbox.accounts[0]!.address });
      await index();
      const s = await status();
      assert.match(s.contractAddress ?? "", /^KT1/);
      assert.deepEqual(
        s.indexed!.events.map((e) => e.name),
        ["Originated", "DelegateSet"],
      );
      assert.equal(s.indexed!.delegate, rig.sandbox.accounts[0]!.address);
      assert.equal(s.delegate, rig.sandbox.accounts[0]!.address);
      const txs = new Set(s.indexed!.events.map((e) => e.txHash));
      assert.equal(s.operations.length, 2);
      for (const op of s.operations) assert.ok(txs.has(op.txHash!), `${op.kind} not indexed`);
    });

    it("shows a deposit and a cold withdrawal the service never sent", async () => {
      const kt1 = (await status()).contractAddress!;
      await clientOf(rig.sandbox.url, rig.sandbox.accounts[3]!).deposit(kt1, 5_000_000n);
      await clientOf(rig.sandbox.url, rig.sandbox.accounts[2]!).withdraw(kt1, 2_000_000n);
      await clientOf(rig.sandbox.url, rig.sandbox.accounts[2]!).setDelegate(kt1, null);
      await index();
      const s = await status();
      assert.deepEqual(
        s.indexed!.events.map((e) => e.name),
        ["Originated", "DelegateSet", "Deposited", "Withdrawn", "DelegateSet"],
      );
      assert.equal(s.indexed!.withdrawnMutez, "2000000");
      assert.equal(s.indexed!.delegate, null);
      assert.equal(s.delegate, null);
      assert.equal(s.balanceMutez, "3000000");
      assert.equal(s.operations.length, 2, "the service recorded none of these");
      const events = await request(
        "GET",
        `/v1/customers/${customerId}/events?chain=tezos`,
        rig.keys.operator,
      );
      assert.equal(events.statusCode, 200, events.body);
      assert.equal((events.json() as { events: unknown[] }).events.length, 5);
    });

    it("resumes after a restart and stores nothing twice", async () => {
      const repo = new ChainEventsRepository();
      const before = await repo.countByChain(rig.database.db, "tezos");
      await rig.restart();
      await index();
      assert.equal(await repo.countByChain(rig.database.db, "tezos"), before);
      await rig.database.db.execute(sql`update chain_cursors set next_block = 0 where chain = 'tezos'`);
      await index();
      assert.equal(await repo.countByChain(rig.database.db, "tezos"), before);
    });
  });
}
